/**
 * The one rejection table (docs/architecture.md, "Decisions are values"). Every refusal wsgate writes is a `Rejection`:
 * a stable `code` for logs and metrics, an HTTP status, optional extra headers and a short public
 * body. Internal error messages never reach the body.
 */

import { STATUS_CODES } from 'node:http';
import { checkField, fieldValues, WsgateTypeError } from '../http/fields.js';

export type RejectionCode =
  | 'METHOD_NOT_ALLOWED'
  | 'HTTP_VERSION'
  | 'BODY_NOT_ALLOWED'
  | 'NOT_AN_UPGRADE'
  | 'BAD_KEY'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_HOST'
  | 'HOST_FORBIDDEN'
  | 'BAD_ORIGIN'
  | 'ORIGIN_FORBIDDEN'
  | 'CROSS_SITE_FORBIDDEN'
  | 'BAD_SUBPROTOCOL'
  | 'BAD_EXTENSIONS'
  | 'NO_SUBPROTOCOL'
  | 'REJECTED'
  | 'HOOK_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  | 'OVERLOADED'
  | 'SHUTTING_DOWN'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'STORE_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_PROTOCOL'
  | 'BAD_CONNECT';

export type RejectionHeaders = Readonly<Record<string, string | number | readonly string[]>>;

/** A body is sent as text, or as JSON when it is not a string or a Buffer. */
export type RejectionBody = string | Buffer | object;

/**
 * Checked when it is made, so that a bad one is a TypeError at the call that made it (in a hook: a 500
 * HOOK_FAILED, reported), never bytes on the wire: the status is an integer from 300 to 599 (RFC 9110
 * §15: no 1xx that a proxy could take for a protocol switch, no 2xx that a client could take for an
 * acceptance), every header a caller may add to a rejection (http/fields.ts), and a body that encodes.
 */
export class Rejection {
  readonly code: RejectionCode;
  readonly status: number;
  readonly headers: RejectionHeaders;
  readonly body: RejectionBody;
  /** @internal the body's bytes and media type, encoded once */
  readonly payload: { readonly type: string; readonly bytes: Buffer };

  constructor(code: RejectionCode, status: number, body?: RejectionBody, headers: RejectionHeaders = {}) {
    if (!Number.isInteger(status) || status < 300 || status > 599) {
      throw new WsgateTypeError(
        'INVALID_STATUS',
        `a rejection's status is an integer from 300 to 599, got ${describe(status)}`,
      );
    }
    this.code = code;
    this.status = status;
    this.body = body ?? defaultBody(status);
    this.headers = checkedHeaders(headers);
    this.payload = encodeBody(this.body, status);
  }
}

function checkedHeaders(headers: RejectionHeaders): RejectionHeaders {
  const copy: Record<string, string | number | readonly string[]> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const item of fieldValues(value)) checkField('rejection', name, item);
    copy[name] = Array.isArray(value) ? Object.freeze([...value]) : (value as string | number);
  }
  return Object.freeze(copy);
}

/** RFC 9110 §15.4.5: a 304 has no content. */
function encodeBody(body: RejectionBody, status: number): Rejection['payload'] {
  if (status === 304) return { type: 'text/plain; charset=utf-8', bytes: Buffer.alloc(0) };
  if (typeof body === 'string') return { type: 'text/plain; charset=utf-8', bytes: Buffer.from(body) };
  if (Buffer.isBuffer(body)) return { type: 'application/octet-stream', bytes: body };
  return { type: 'application/json; charset=utf-8', bytes: Buffer.from(JSON.stringify(body)) };
}

/** A value for an error message: never raw text, which could carry CR/LF into a log line. */
function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function defaultBody(status: number): string {
  return `${status} ${reasonPhrase(status)}\n`;
}

/** RFC 9110 §15 reason phrases, as Node knows them; the phrase is informational only. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

const RETRY_AFTER_SECONDS = 1;

/** The response header that names the row of a rejection the core wrote (never an app's own). */
export const CODE_HEADER = 'Wsgate-Code';

/**
 * A row of the table: its code in a header and in the body (`403 Forbidden: ORIGIN_FORBIDDEN`), so that
 * whoever debugs a refused handshake (a raw client, a proxy log) sees which rule answered.
 */
function row(code: Exclude<RejectionCode, 'REJECTED'>, status: number, headers: RejectionHeaders = {}): Rejection {
  return new Rejection(code, status, `${status} ${reasonPhrase(status)}: ${code}\n`, {
    ...headers,
    [CODE_HEADER]: code,
  });
}

/**
 * The table itself. Functions, not constants, where a row carries per-request data; constant rows are
 * shared instances (a Rejection is immutable), so rejecting allocates nothing.
 */
export const reject = {
  // RFC 9110 §15.5.6: a 405 MUST carry Allow.
  methodNotAllowed: row('METHOD_NOT_ALLOWED', 405, { Allow: 'GET' }),
  // RFC 6455 §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1";
  // RFC 9110 §15.6.6: 505 for a major version the server does not support.
  httpVersion: row('HTTP_VERSION', 505),
  // RFC 6455 §4.1 has no request content, and no byte of one may be taken for a frame.
  bodyNotAllowed: row('BODY_NOT_ALLOWED', 400),
  // RFC 9110 §15.5.22 / RFC 6455 §4.2.2: 426 names the protocol to switch to.
  notAnUpgrade: row('NOT_AN_UPGRADE', 426, { Upgrade: 'websocket' }),
  badKey: row('BAD_KEY', 400),
  // RFC 6455 §4.4: answer with the versions we support.
  unsupportedVersion: row('UNSUPPORTED_VERSION', 426, { 'Sec-WebSocket-Version': '13' }),
  badHost: row('BAD_HOST', 400),
  hostForbidden: row('HOST_FORBIDDEN', 403),
  badOrigin: row('BAD_ORIGIN', 400),
  originForbidden: row('ORIGIN_FORBIDDEN', 403),
  crossSiteForbidden: row('CROSS_SITE_FORBIDDEN', 403),
  badSubprotocol: row('BAD_SUBPROTOCOL', 400),
  badExtensions: row('BAD_EXTENSIONS', 400),
  noSubprotocol: row('NO_SUBPROTOCOL', 400),
  hookFailed: row('HOOK_FAILED', 500),
  handshakeTimeout: row('HANDSHAKE_TIMEOUT', 503, { 'Retry-After': RETRY_AFTER_SECONDS }),
  overloaded: row('OVERLOADED', 503, { 'Retry-After': RETRY_AFTER_SECONDS }),
  shuttingDown: row('SHUTTING_DOWN', 503, { 'Retry-After': RETRY_AFTER_SECONDS }),
  notFound: row('NOT_FOUND', 404),
  // A plain request on a WebSocket route over HTTP/2: 400, as 426 cannot be written there (below). Over
  // HTTP/2 a WebSocket is opened with an extended CONNECT (RFC 8441 §4), not by switching protocols.
  notAnUpgradeOverH2: row('NOT_AN_UPGRADE', 400),
  // RFC 8441 §5 over HTTP/2: the versions we support, with 400. A 426 MUST carry Upgrade (RFC 9110
  // §15.5.22), a connection-specific field that HTTP/2 forbids (RFC 9113 §8.2.2): no 426 is writable there.
  unsupportedVersionOverH2: row('UNSUPPORTED_VERSION', 400, { 'Sec-WebSocket-Version': '13' }),
  // RFC 9220 §3 (RFC 8441's twin for HTTP/3, same semantics): an Extended CONNECT whose :protocol the server
  // does not support SHOULD get 501.
  unsupportedProtocol: row('UNSUPPORTED_PROTOCOL', 501),
  // RFC 8441 §4-5, RFC 9113 §8.1.1: an extended CONNECT without :scheme or :path, with a :scheme the
  // connection cannot carry, or whose stream ended with its headers (no frame can follow) is malformed.
  badConnect: row('BAD_CONNECT', 400),
  quotaExceeded: (retryAfterSeconds: number) =>
    row('QUOTA_EXCEEDED', 429, { 'Retry-After': Math.max(1, Math.ceil(retryAfterSeconds)) }),
  // A shared admission store (quotas, rate limits) failed or timed out, and the limit fails closed.
  storeUnavailable: row('STORE_UNAVAILABLE', 503, { 'Retry-After': RETRY_AFTER_SECONDS }),
  rateLimited: (retryAfterSeconds: number) =>
    row('RATE_LIMITED', 429, { 'Retry-After': Math.max(1, Math.ceil(retryAfterSeconds)) }),
  /** What an application's hook or middleware answers: any status from 300 to 599, headers and body. */
  rejected: (status: number, body?: RejectionBody, headers?: RejectionHeaders) =>
    new Rejection('REJECTED', status, body, headers),
} as const;
