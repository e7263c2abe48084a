/**
 * The one rejection table (DESIGN.md "Rejections"). Every refusal wsgate writes is a `Rejection`:
 * a stable `code` for logs and metrics, an HTTP status, optional extra headers and a short public
 * body. Internal error messages never reach the body.
 */

import { STATUS_CODES } from 'node:http';

export type RejectionCode =
  | 'METHOD_NOT_ALLOWED'
  | 'HTTP_VERSION'
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
  | 'NOT_FOUND';

export type RejectionHeaders = Readonly<Record<string, string | number | readonly string[]>>;

/** A body is sent as text, or as JSON when it is not a string or a Buffer. */
export type RejectionBody = string | Buffer | object;

export class Rejection {
  readonly code: RejectionCode;
  readonly status: number;
  readonly headers: RejectionHeaders;
  readonly body: RejectionBody;

  constructor(code: RejectionCode, status: number, body?: RejectionBody, headers: RejectionHeaders = {}) {
    this.code = code;
    this.status = status;
    this.body = body ?? defaultBody(status);
    this.headers = headers;
  }
}

function defaultBody(status: number): string {
  return `${status} ${reasonPhrase(status)}\n`;
}

/** RFC 9110 §15 reason phrases, as Node knows them; the phrase is informational only. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

const RETRY_AFTER_SECONDS = 1;

/**
 * The table itself. Functions, not constants, where a row carries per-request data; constant rows are
 * shared instances (a Rejection is immutable), so rejecting allocates nothing.
 */
export const reject = {
  // RFC 9110 §15.5.6: a 405 MUST carry Allow.
  methodNotAllowed: new Rejection('METHOD_NOT_ALLOWED', 405, undefined, { Allow: 'GET' }),
  // RFC 6455 §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
  httpVersion: new Rejection('HTTP_VERSION', 505),
  // RFC 9110 §15.5.22 / RFC 6455 §4.2.2: 426 names the protocol to switch to.
  notAnUpgrade: new Rejection('NOT_AN_UPGRADE', 426, undefined, { Upgrade: 'websocket' }),
  badKey: new Rejection('BAD_KEY', 400),
  // RFC 6455 §4.4: answer with the versions we support.
  unsupportedVersion: new Rejection('UNSUPPORTED_VERSION', 426, undefined, { 'Sec-WebSocket-Version': '13' }),
  badHost: new Rejection('BAD_HOST', 400),
  hostForbidden: new Rejection('HOST_FORBIDDEN', 403),
  badOrigin: new Rejection('BAD_ORIGIN', 400),
  originForbidden: new Rejection('ORIGIN_FORBIDDEN', 403),
  crossSiteForbidden: new Rejection('CROSS_SITE_FORBIDDEN', 403),
  badSubprotocol: new Rejection('BAD_SUBPROTOCOL', 400),
  badExtensions: new Rejection('BAD_EXTENSIONS', 400),
  noSubprotocol: new Rejection('NO_SUBPROTOCOL', 400),
  hookFailed: new Rejection('HOOK_FAILED', 500),
  handshakeTimeout: new Rejection('HANDSHAKE_TIMEOUT', 503, undefined, { 'Retry-After': RETRY_AFTER_SECONDS }),
  overloaded: new Rejection('OVERLOADED', 503, undefined, { 'Retry-After': RETRY_AFTER_SECONDS }),
  shuttingDown: new Rejection('SHUTTING_DOWN', 503, undefined, { 'Retry-After': RETRY_AFTER_SECONDS }),
  notFound: new Rejection('NOT_FOUND', 404),
  quotaExceeded: (retryAfterSeconds: number) =>
    new Rejection('QUOTA_EXCEEDED', 429, undefined, { 'Retry-After': Math.max(1, Math.ceil(retryAfterSeconds)) }),
  /** What an application's hook or middleware answers: any status, headers and body. */
  rejected: (status: number, body?: RejectionBody, headers?: RejectionHeaders) =>
    new Rejection('REJECTED', status, body, headers),
} as const;
