/**
 * What a test says about the handshake request, and the defaults that make the common case short: a
 * same-origin browser on `http://localhost` — `Host: localhost`, `Origin: http://localhost` — with a fresh
 * key, version 13, and permessage-deflate offered, as browsers do.
 *
 * Those defaults pass every adapter's default policies: same-origin Origin; the default Host policy serves
 * any well-formed Host on a connection that has no local address (the in-memory one), and loopback names
 * such as `localhost` on a loopback listener (the TCP transport).
 */

import type { ClientOptions } from 'ws';
import { type Cookies, cookieHeader } from './cookies.js';
import type { ConnectionOptions } from './transport.js';

export type HeaderValues = Readonly<Record<string, string | readonly string[]>>;

export interface HandshakeOptions extends ConnectionOptions {
  /** The request's authority: the Host header, and the default Origin's. Default `localhost`. */
  host?: string;
  /** The Origin header. Default `http://` + host (same-origin); `null` sends none (a non-browser client). */
  origin?: string | null;
  /** Subprotocols to offer, in the client's order of preference (Sec-WebSocket-Protocol). */
  protocols?: string | readonly string[];
  /** Extra request headers. A header given here wins over `origin`; a Cookie header is joined with `cookies`. */
  headers?: HeaderValues;
  /** Cookies to send, `{ name: value }`: cookie-octet values as they are, others percent-encoded. */
  cookies?: Cookies;
  /** Milliseconds to wait for the server's answer. Default 3000. */
  timeout?: number;
  /** Other options of the `ws` client (`perMessageDeflate`, `maxPayload`…). */
  client?: Omit<ClientOptions, 'createConnection' | 'origin' | 'headers' | 'host' | 'handshakeTimeout'>;
}

export const DEFAULT_HOST = 'localhost';
const DEFAULT_TIMEOUT_MS = 3_000;

/** The request line and headers, for messages: what the test asked for, as the client sends it. */
export interface RequestSummary {
  readonly method: string;
  readonly path: string;
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
}

interface PreparedHandshake {
  readonly url: string;
  readonly protocols: string[];
  readonly clientOptions: ClientOptions;
  readonly timeout: number;
  readonly request: RequestSummary;
}

export function prepareHandshake(path: string, options: HandshakeOptions): PreparedHandshake {
  const host = options.host ?? DEFAULT_HOST;
  const url = targetUrl('ws', host, path);
  const headers = withCookies(options.headers ?? {}, options.cookies);
  const origin = hasHeader(headers, 'origin')
    ? undefined
    : options.origin === null
      ? undefined
      : (options.origin ?? `http://${host}`);
  const protocols =
    options.protocols === undefined
      ? []
      : typeof options.protocols === 'string'
        ? [options.protocols]
        : [...options.protocols];
  const timeout = checkTimeout(options.timeout);
  const deflate = options.client?.perMessageDeflate ?? true;

  const shown: Array<readonly [string, string]> = [];
  if (!hasHeader(headers, 'host')) shown.push(['Host', new URL(url).host]);
  shown.push(['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Version', '13']);
  shown.push(['Sec-WebSocket-Key', '(fresh)']);
  if (origin !== undefined) shown.push(['Origin', origin]);
  if (protocols.length > 0) shown.push(['Sec-WebSocket-Protocol', protocols.join(',')]);
  if (deflate !== false) shown.push(['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits']);
  for (const [name, value] of Object.entries(headers)) {
    for (const line of typeof value === 'string' ? [value] : value) shown.push([name, line]);
  }

  return {
    url,
    protocols,
    timeout,
    clientOptions: {
      ...options.client,
      headers: headers as Record<string, string>,
      ...(origin === undefined ? {} : { origin }),
    },
    request: { method: 'GET', path: new URL(url).pathname + new URL(url).search, headers: shown },
  };
}

/** `scheme://host/path`, with a clear TypeError for a path or host that is not one. */
export function targetUrl(scheme: 'ws' | 'http', host: string, path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`@wsgate/testing: path must start with '/', got ${JSON.stringify(path)}`);
  }
  try {
    return new URL(`${scheme}://${host}${path}`).href;
  } catch {
    throw new TypeError(
      `@wsgate/testing: host ${JSON.stringify(host)} is not a URL authority; send an unusual Host with headers: { host }`,
    );
  }
}

/** `headers` with the `cookies` joined into its Cookie header. */
export function withCookies(headers: HeaderValues, cookies: Cookies | undefined): HeaderValues {
  const fromCookies = cookies === undefined ? undefined : cookieHeader(cookies);
  if (fromCookies === undefined) return headers;
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'cookie');
  if (name === undefined) return { ...headers, Cookie: fromCookies };
  const existing = headers[name];
  const joined = [...(typeof existing === 'string' ? [existing] : (existing ?? [])), fromCookies].join('; ');
  return { ...headers, [name]: joined };
}

export function hasHeader(headers: HeaderValues, lowerName: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === lowerName);
}

export function checkTimeout(timeout: number | undefined): number {
  if (timeout === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new TypeError(`@wsgate/testing: timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  }
  return timeout;
}
