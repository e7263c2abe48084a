/**
 * The one writer of HTTP/1.1 response heads for a handshake: a rejection (a complete response, then the
 * end of the connection) and a switch of protocols (a 101 head). It owns the framing: the status line,
 * `Connection`, `Content-Length` and the blank line are its own, and every other line is checked here,
 * as it is written, by http/fields.ts. Only then is the head encoded, as latin1, which after the check
 * maps each character to exactly one octet.
 */

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  checkField,
  type FieldOwner,
  fieldValues,
  type HeaderFields,
  isFieldValue,
  WsgateTypeError,
} from '../http/fields.js';
import { type Rejection, type RejectionHeaders, reasonPhrase } from '../protocol/rejection.js';

/** `Name: value\r\n` lines, each checked for what `owner`'s messages allow; throws WsgateTypeError otherwise. */
export function formatHeaderLines(owner: FieldOwner, headers: HeaderFields | RejectionHeaders): string {
  let out = '';
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const text of fieldValues(value)) {
      checkField(owner, name, text);
      out += `${name}: ${text}\r\n`;
    }
  }
  return out;
}

/**
 * The whole rejection as bytes. The connection closes after it (an upgrade request's connection is never
 * reused), so the writer says so, and a caller's `Content-Type` replaces the one guessed from the body.
 * A 304 has neither content nor Content-Length (RFC 9110 §15.4.5, §8.6). The answer to a HEAD request
 * has no content either, only the length the content would have (RFC 9110 §9.3.2, §8.6).
 */
export function formatRejection(rejection: Rejection, method?: string): Buffer {
  const { status, headers, payload } = rejection;
  let upgrade = false;
  let typed = false;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'upgrade') upgrade = true;
    else if (lower === 'content-type') typed = true;
  }
  const head =
    `HTTP/1.1 ${checkedStatus(status)} ${reasonPhrase(status)}\r\n` +
    // RFC 9110 §7.8: a message with Upgrade carries the "upgrade" connection option.
    (upgrade ? 'Connection: Upgrade, close\r\n' : 'Connection: close\r\n') +
    (typed ? '' : formatHeaderLines('rejection', { 'Content-Type': payload.type })) +
    (status === 304 ? '' : `Content-Length: ${payload.bytes.length}\r\n`) +
    formatHeaderLines('rejection', headers) +
    '\r\n';
  const bytes = Buffer.from(head, 'latin1');
  return method === 'HEAD' ? bytes : Buffer.concat([bytes, payload.bytes]);
}

/**
 * The head that accepts a handshake: its status line, the handshake's `own` lines (values checked as they
 * are written), then the caller's `extra` ones, which may not repeat or contradict them. On every accepted
 * handshake, so it makes no array per field and skips an empty `extra`.
 */
export function formatAcceptance(statusLine: string, own: HeaderFields, extra: HeaderFields): string {
  let head = `${statusLine}\r\n`;
  for (const name in own) {
    const value = own[name];
    if (value === undefined) continue;
    if (typeof value === 'string') head += ownLine(name, value);
    else for (const text of fieldValues(value)) head += ownLine(name, text);
  }
  for (const _ in extra) return `${head}${formatHeaderLines('handshake', extra)}\r\n`;
  return `${head}\r\n`;
}

function ownLine(name: string, text: string): string {
  if (!isFieldValue(text)) throw new WsgateTypeError('UNSAFE_HEADER', `refusing header ${name}: unsafe value`);
  return `${name}: ${text}\r\n`;
}

/** The Rejection constructor allows only these; checked again here because this is where bytes are made. */
function checkedStatus(status: number): number {
  if (!Number.isInteger(status) || status < 300 || status > 599) throw new TypeError('wsgate: invalid status');
  return status;
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
