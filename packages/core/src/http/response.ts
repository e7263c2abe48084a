/**
 * Writing the only two kinds of response a handshake has: a rejection (a complete HTTP/1.1 response
 * followed by the end of the connection) and the 101's head. Every header written is checked here:
 * a name that is not a token or a value with CR, LF or NUL would let a caller split the response
 * (RFC 9110 §5.5: field values never contain them).
 */

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Rejection, type RejectionHeaders, reasonPhrase } from '../rejection.js';
import { isToken } from './token-list.js';

export class UnsafeHeaderError extends Error {
  readonly code = 'UNSAFE_HEADER';
  constructor(name: string) {
    super(
      `wsgate: refusing to write header ${JSON.stringify(name)}: its name is not a token or its value holds CR, LF or NUL`,
    );
  }
}

const UNSAFE_VALUE = /[\r\n\0]/;

/** `Name: value\r\n` lines for a header map; throws UnsafeHeaderError rather than write a bad one. */
export function formatHeaderLines(headers: RejectionHeaders): string {
  let out = '';
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!isToken(name)) throw new UnsafeHeaderError(name);
    for (const item of Array.isArray(value) ? value : [value]) {
      const text = String(item);
      if (UNSAFE_VALUE.test(text)) throw new UnsafeHeaderError(name);
      out += `${name}: ${text}\r\n`;
    }
  }
  return out;
}

function encodeBody(body: Rejection['body']): { type: string; bytes: Buffer } {
  if (typeof body === 'string') return { type: 'text/plain; charset=utf-8', bytes: Buffer.from(body) };
  if (Buffer.isBuffer(body)) return { type: 'application/octet-stream', bytes: body };
  return { type: 'application/json; charset=utf-8', bytes: Buffer.from(JSON.stringify(body)) };
}

/**
 * The whole rejection as bytes (DESIGN.md "Response format"). Throws UnsafeHeaderError for bad headers.
 * Connection and Content-Length are always ours (the connection closes; the length is the body's); a
 * Content-Type given by the caller replaces the one guessed from the body.
 */
export function formatRejection(rejection: Rejection): Buffer {
  const { type, bytes } = encodeBody(rejection.body);
  const extra: Record<string, RejectionHeaders[string]> = {};
  let upgrade = false;
  let contentType = type;
  for (const name in rejection.headers) {
    const value = rejection.headers[name] as RejectionHeaders[string];
    const lower = name.toLowerCase();
    if (lower === 'connection' || lower === 'content-length') continue;
    if (lower === 'content-type') contentType = String(value);
    else extra[name] = value;
    if (lower === 'upgrade') upgrade = true;
  }
  const head =
    `HTTP/1.1 ${rejection.status} ${reasonPhrase(rejection.status)}\r\n` +
    // RFC 9110 §7.8: a message with Upgrade carries the "upgrade" connection option.
    (upgrade ? 'Connection: Upgrade, close\r\n' : 'Connection: close\r\n') +
    formatHeaderLines({ 'Content-Type': contentType }) +
    `Content-Length: ${bytes.length}\r\n` +
    formatHeaderLines(extra) +
    '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/**
 * Writes a formatted rejection (or nothing more, after a framework's own response) and ends the
 * connection: the socket is destroyed once the bytes are flushed. Reading is resumed meanwhile so that
 * unread request bytes cannot stall the close, and a peer that never reads is cut off after a while.
 */
export function closeAfterFlush(socket: Duplex, bytes?: Buffer): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.resume();
  (socket as Partial<Socket>).setTimeout?.(LINGER_MS, () => socket.destroy());
  const destroy = () => socket.destroy();
  if (bytes === undefined) socket.end(destroy);
  else socket.end(bytes, destroy);
}

const LINGER_MS = 5_000;
