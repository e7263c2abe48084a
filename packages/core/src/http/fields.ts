/**
 * What a response header line may hold, and which lines a writer keeps for itself. Every header wsgate
 * writes, on every transport, passes through `checkField`, so that no caller-supplied name or value can
 * add a line, end the head, or change the framing the writer chose.
 */

import { isToken } from './token-list.js';

/** A programming error from wsgate's API, with a stable `code`. Thrown at the call that made it. */
export class WsgateTypeError extends TypeError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`wsgate: ${message}`);
    this.name = 'WsgateTypeError';
    this.code = code;
  }
}

/**
 * RFC 9110 §5.5: field-value = *field-content, built of field-vchar (VCHAR / obs-text), SP and HTAB.
 * So every character is HTAB, 0x20-0x7E or 0x80-0xFF: no CR, LF, NUL, other controls or DEL. A
 * character above U+00FF has no octet at all; writing it as latin1 would keep only its low byte
 * (U+010D becomes CR), so it is refused, as Node's own `setHeader` refuses it (ERR_INVALID_CHAR).
 */
export function isFieldValue(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x09) continue;
    if (code < 0x20 || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

/**
 * The header lines of the handshake's own protocol and of the message's framing (RFC 9112 §6, RFC 9110
 * §7.6.1, RFC 6455 §4.2.2): the writer chooses them, and a caller's value would contradict it.
 */
const HANDSHAKE_OWNED = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'sec-websocket-accept',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-version',
  'sec-websocket-location',
  'sec-websocket-origin',
]);
/** A rejection may name the protocol to switch to (`Upgrade`, `Sec-WebSocket-Version` on a 426). */
const REJECTION_OWNED = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding']);

export type FieldOwner = 'handshake' | 'rejection';

/** Whether a writer of this kind of message keeps `name` (any case) for itself. */
export function isOwnedField(owner: FieldOwner, name: string): boolean {
  return (owner === 'handshake' ? HANDSHAKE_OWNED : REJECTION_OWNED).has(name.toLowerCase());
}

/** Throws a WsgateTypeError unless `name: value` is a header line a caller may add to this kind of message. */
export function checkField(owner: FieldOwner, name: string, value: string): void {
  if (typeof name !== 'string' || !isToken(name)) {
    throw new WsgateTypeError('UNSAFE_HEADER', `refusing header name ${JSON.stringify(name)}: not a token`);
  }
  if (isOwnedField(owner, name)) {
    throw new WsgateTypeError(
      'OWNED_HEADER',
      `refusing header ${name}: the ${owner === 'handshake' ? 'handshake' : 'rejection'} writer sets it`,
    );
  }
  if (!isFieldValue(value)) {
    // The value is not quoted: it may carry what the caller meant to hide.
    throw new WsgateTypeError(
      'UNSAFE_HEADER',
      `refusing header ${name}: its value has a character RFC 9110 §5.5 forbids`,
    );
  }
}

/** The values of one header as strings: a list gives one line each. */
export function fieldValues(value: string | number | readonly string[]): readonly string[] {
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

/**
 * The one rule for headers an app's middleware set on its response before the route took the handshake
 * (a session's Set-Cookie, a request id, security headers): they ride on the acceptance, except what an
 * acceptance cannot carry — content metadata (`Content-*`: there is no content), hop-by-hop fields (RFC
 * 9110 §7.6.1) and the handshake's own — and except names the hook set itself (`overridden`), which win.
 */
export function carriedHeaders(
  headers: Readonly<Record<string, string | number | readonly string[] | undefined>>,
  overridden: Readonly<Record<string, unknown>> | undefined,
): Record<string, string | readonly string[]> {
  const replaced = new Set(Object.keys(overridden ?? {}).map((name) => name.toLowerCase()));
  const out: Record<string, string | readonly string[]> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (value === undefined || replaced.has(lower) || !isCarried(lower)) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

const HOP_BY_HOP = new Set(['proxy-connection', 'te', 'trailer']);

function isCarried(lower: string): boolean {
  return !lower.startsWith('content-') && !HOP_BY_HOP.has(lower) && !isOwnedField('handshake', lower);
}

/** One header line, as the caller gave it: name and value(s). */
export type HeaderFields = Readonly<Record<string, string | number | readonly string[] | undefined>>;
