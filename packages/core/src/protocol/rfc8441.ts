/**
 * The server's reading of an extended CONNECT that bootstraps a WebSocket over HTTP/2, RFC 8441 §4-5, one
 * pure function per requirement, as rfc6455.ts reads an HTTP/1.1 upgrade. Each returns `undefined` when the
 * request passes, or the Rejection from the table.
 *
 * nghttp2 resets a stream itself (PROTOCOL_ERROR, before Node sees it) for most malformed requests: a
 * missing or empty pseudo-header, `:protocol` on another method, upper-case names, Connection or Upgrade
 * fields (RFC 9113 §8.2.2). What reaches us is checked again here all the same: these rules must not
 * depend on which HTTP/2 library parsed the frames.
 */

import { type HeaderLines, headerLines, singleHeader } from '../http/raw-headers.js';
import { type Rejection, reject } from './rejection.js';
import { checkNoBody } from './rfc6455.js';

/** What the checks read: the pseudo-header fields, the regular header lines, and the stream's state. */
export interface ConnectRequest {
  readonly method: string | undefined;
  readonly protocol: string | undefined;
  readonly scheme: string | undefined;
  readonly path: string | undefined;
  readonly authority: string | undefined;
  /** The regular header lines as received (lower case, RFC 9113 §8.2.1), pseudo-headers excluded. */
  readonly headers: HeaderLines;
  /** Whether the connection is TLS. */
  readonly encrypted: boolean;
  /** Whether the request's HEADERS frame carried END_STREAM. */
  readonly endStream: boolean;
}

/** RFC 8441 §4: a CONNECT with a `:protocol` pseudo-header is an extended CONNECT; one without is a tunnel. */
export function isExtendedConnect(request: Pick<ConnectRequest, 'method' | 'protocol'>): boolean {
  return request.method === 'CONNECT' && request.protocol !== undefined;
}

/**
 * RFC 8441 §5: ":protocol ... MUST have a value of websocket". RFC 9220 §3, the same mechanism over HTTP/3:
 * a :protocol the server does not support SHOULD get 501 (Not Implemented).
 */
export function checkProtocol(request: ConnectRequest): Rejection | undefined {
  return request.protocol === 'websocket' ? undefined : reject.unsupportedProtocol;
}

/**
 * RFC 8441 §4: "the :scheme and :path pseudo-header fields of the target URI MUST also be included"; §5:
 * :scheme is "https" for wss and "http" for ws. Over TLS it must be https; a cleartext connection may carry
 * either (a TLS-terminating proxy keeps https). RFC 9113 §8.3.1: :path is not empty and, for a CONNECT to a
 * resource, begins with "/".
 */
export function checkPseudoHeaders(request: ConnectRequest): Rejection | undefined {
  const { scheme, path } = request;
  if (path === undefined || !path.startsWith('/')) return reject.badConnect;
  if (scheme === 'https') return undefined;
  return scheme === 'http' && !request.encrypted ? undefined : reject.badConnect;
}

/**
 * RFC 8441 §5: after the 200 the stream carries the WebSocket's bytes both ways; a request that ended its
 * side with its headers can never send a frame (RFC 9113 §8.1: END_STREAM closes the sender's side).
 */
export function checkStreamOpen(request: ConnectRequest): Rejection | undefined {
  return request.endStream ? reject.badConnect : undefined;
}

/**
 * RFC 8441 §5: Sec-WebSocket-Version is "used in the CONNECT request ... as defined in [RFC6455]": exactly
 * one field with the value 13 (RFC 6455 §4.2.1 (6)). Otherwise 400 naming the version we support (RFC 6455
 * §4.4), as 426 cannot be written on HTTP/2 (see `reject.unsupportedVersionOverH2`).
 */
export function checkVersionOverH2(request: ConnectRequest): Rejection | undefined {
  return singleHeader(request.headers, 'sec-websocket-version') === '13' ? undefined : reject.unsupportedVersionOverH2;
}

/**
 * RFC 8441 §5: ":authority" replaces Host (RFC 6455 §4.2.1 (2)). RFC 9113 §8.3.1: a request that carries both
 * must have a Host equal to :authority, else it is malformed; a Host alone stands for a missing :authority.
 * Returns the authority the request names.
 */
export function checkAuthority(request: ConnectRequest): string | Rejection {
  const hosts = headerLines(request.headers, 'host');
  if (hosts.length > 1) return reject.badHost;
  const host = hosts[0];
  const authority = request.authority ?? host;
  if (authority === undefined || authority === '') return reject.badHost;
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return reject.badHost;
  return authority;
}

/**
 * The checks of RFC 8441 §4-5 in order, for a request `isExtendedConnect` found: the protocol first (a
 * :protocol other than websocket is not ours to judge further), then the request's shape, then the
 * WebSocket fields. On success, the authority the request names.
 */
export function checkExtendedConnect(request: ConnectRequest): { authority: string } | Rejection {
  const rejection =
    checkProtocol(request) ??
    checkPseudoHeaders(request) ??
    checkStreamOpen(request) ??
    // RFC 9110 §9.3.6: "A CONNECT request message does not have content"; the stream's bytes are frames.
    checkNoBody({ method: 'CONNECT', httpVersionMajor: 2, httpVersionMinor: 0, headers: request.headers }) ??
    checkVersionOverH2(request);
  if (rejection !== undefined) return rejection;
  const authority = checkAuthority(request);
  return typeof authority === 'string' ? { authority } : authority;
}
