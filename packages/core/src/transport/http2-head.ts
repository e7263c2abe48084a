/**
 * The one writer of HTTP/2 response header blocks for a handshake, the twin of response.ts. Node's
 * `stream.respond()` checks names but not values (CR, LF and NUL go out, and the peer's HPACK decoder then
 * drops the field or resets the stream), so every value is checked here, as it is added, by http/fields.ts.
 * Names are lower case (RFC 9113 §8.2.1) and connection-specific fields are left out (RFC 9113 §8.2.2:
 * a message carrying one is malformed; Node throws for most of them).
 */

import type { OutgoingHttpHeaders } from 'node:http2';
import type { HeaderFields } from '../http/fields.js';
import { checkField, type FieldOwner, fieldValues, isFieldValue, WsgateTypeError } from '../http/fields.js';
import type { Rejection } from '../protocol/rejection.js';

/** RFC 9113 §8.2.2: the fields HTTP/2 forbids, because HTTP/2 frames the message and the connection itself. */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'http2-settings',
]);

/** Whether HTTP/2 leaves out a field of this (lower-case) name. */
export function isConnectionSpecific(lower: string): boolean {
  return CONNECTION_SPECIFIC.has(lower);
}

/**
 * A header block: `:status`, the writer's `own` fields (values checked), then the caller's `extra` ones,
 * each checked for what `owner`'s messages allow (a WsgateTypeError otherwise, before anything is written).
 */
export function h2HeaderBlock(
  owner: FieldOwner,
  status: number,
  own: HeaderFields,
  extra: HeaderFields,
): OutgoingHttpHeaders {
  const block: Record<string, string | string[] | number> = { ':status': status };
  for (const name of Object.keys(own)) {
    const value = own[name];
    if (value === undefined) continue;
    for (const text of fieldValues(value)) {
      if (!isFieldValue(text)) throw new WsgateTypeError('UNSAFE_HEADER', `refusing header ${name}: unsafe value`);
      add(block, name.toLowerCase(), text);
    }
  }
  for (const name of Object.keys(extra)) {
    const value = extra[name];
    const lower = name.toLowerCase();
    if (value === undefined || isConnectionSpecific(lower)) continue;
    for (const text of fieldValues(value)) {
      checkField(owner, name, text);
      add(block, lower, text);
    }
  }
  return block;
}

/**
 * A rejection's header block: its status, Content-Type (the caller's replaces the one guessed from the
 * body) and Content-Length, then its own fields. A 304 has neither content nor Content-Length (RFC 9110
 * §15.4.5, §8.6).
 */
export function h2RejectionBlock(rejection: Rejection): OutgoingHttpHeaders {
  const { status, headers, payload } = rejection;
  const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  const own: Record<string, string | undefined> = {
    'content-type': typed ? undefined : payload.type,
    'content-length': status === 304 ? undefined : String(payload.bytes.length),
  };
  return h2HeaderBlock('rejection', checkedStatus(status), own, headers);
}

/** The Rejection constructor allows only these; checked again here because this is where the block is made. */
function checkedStatus(status: number): number {
  if (!Number.isInteger(status) || status < 300 || status > 599) throw new TypeError('wsgate: invalid status');
  return status;
}

/** Repeated names (the caller's `Set-Cookie` list, or two spellings of one name) become one list. */
function add(block: Record<string, string | string[] | number>, name: string, text: string): void {
  const present = block[name];
  if (present === undefined) block[name] = text;
  else if (Array.isArray(present)) present.push(text);
  else block[name] = [String(present), text];
}
