/**
 * A handshake's attributes, named as OpenTelemetry's HTTP semantic conventions name them (http-spans.md,
 * http-metrics.md), plus `wsgate.*` for what they have no name for. Span attributes may describe the request
 * (its host); metric attributes are only bounded values: route templates, codes from the rejection table,
 * statuses, transports and limit kinds.
 */

import type { Attributes } from '@opentelemetry/api';
import { parseHost } from '../policy/host.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';
import type { HandshakeEvent } from './events.js';

/** What telemetry reads of a handshake in flight (pending-handshake.ts's `Handshake`). */
export interface HandshakeFacts {
  readonly deadline: { readonly started: number };
  readonly route: { readonly path: string } | undefined;
  readonly transport: { readonly name: TransportName; readonly request: UpgradeRequest };
  /** The request's own scheme and authority, once the route admitted it. */
  readonly site: { readonly secure: boolean; readonly host: string } | undefined;
  /** The context it opened in (see GateTelemetry.opened). */
  readonly openedIn: unknown;
}

export interface Outcome {
  readonly outcome: HandshakeEvent['outcome'];
  readonly code: HandshakeEvent['code'];
  readonly status: number | undefined;
  /** The kind of quota or rate limit that refused, e.g. `quotaPerIp`. */
  readonly limit: string | undefined;
}

/** `network.protocol.version`: an RFC 6455 (or draft-76) upgrade is HTTP/1.1, an RFC 8441 CONNECT is HTTP/2. */
export function protocolVersion(transport: TransportName): '1.1' | '2' {
  return transport === 'h2' ? '2' : '1.1';
}

/**
 * `error.type`, by its code: a 5xx (the server failed), or no status at all (the client left first: http-spans.md
 * makes an exchange that ended without a status an error). A 4xx is the client's, and is none.
 */
export function errorType(outcome: Outcome): string | undefined {
  if (outcome.status === undefined || outcome.status >= 500) return outcome.code;
  return undefined;
}

/**
 * `http.request.method` as the client sent it: an RFC 8441 handshake is a CONNECT, which an adapter shows its
 * framework as a GET (app-connect.ts).
 */
export function requestMethod(handshake: HandshakeFacts): string {
  return handshake.transport.name === 'h2' ? 'CONNECT' : (handshake.transport.request.method ?? 'GET');
}

/** The histogram's attributes, and the limit counter's with `wsgate.limit`. */
export function metricAttributes(handshake: HandshakeFacts, outcome: Outcome): Attributes {
  const attributes: Attributes = {
    'wsgate.outcome': outcome.outcome,
    'network.protocol.version': protocolVersion(handshake.transport.name),
    'wsgate.transport': handshake.transport.name,
  };
  const route = handshake.route?.path;
  if (route !== undefined) attributes['http.route'] = route;
  if (outcome.code !== undefined) attributes['wsgate.code'] = outcome.code;
  if (outcome.status !== undefined) attributes['http.response.status_code'] = outcome.status;
  const error = errorType(outcome);
  if (error !== undefined) attributes['error.type'] = error;
  if (outcome.limit !== undefined) attributes['wsgate.limit'] = outcome.limit;
  return attributes;
}

/** The span's attributes: the metric's, and what describes this request (method, scheme, server). */
export function spanAttributes(handshake: HandshakeFacts, outcome: Outcome): Attributes {
  const attributes = metricAttributes(handshake, outcome);
  attributes['http.request.method'] = requestMethod(handshake);
  const { secure, host } = siteOf(handshake);
  attributes['url.scheme'] = secure ? 'https' : 'http';
  const parsed = host === undefined ? undefined : parseHost(host);
  if (parsed !== undefined) {
    attributes['server.address'] = parsed.hostname;
    attributes['server.port'] = parsed.port ?? (secure ? 443 : 80);
  }
  return attributes;
}

/**
 * The request's own scheme and authority: the framework's after trust-proxy once the route admitted it
 * (what semantic conventions ask for behind a proxy), else the wire's.
 */
function siteOf(handshake: HandshakeFacts): { secure: boolean; host: string | undefined } {
  const site = handshake.site;
  if (site !== undefined) return { secure: site.secure, host: site.host };
  const request = handshake.transport.request;
  const headers = request.headers as Record<string, string | string[] | undefined>;
  const authority = headers[':authority'] ?? headers.host;
  const socket = request.socket as { encrypted?: boolean } | undefined;
  return {
    secure: headers[':scheme'] === 'https' || socket?.encrypted === true,
    host: typeof authority === 'string' ? authority : undefined,
  };
}
