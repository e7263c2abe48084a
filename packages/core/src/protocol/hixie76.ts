/**
 * The server's side of the legacy draft-hixie-thewebsocketprotocol-76 opening handshake (the same text
 * as draft-ietf-hybi-thewebsocketprotocol-00), as pure functions. "§" below is a section of draft-76.
 *
 * The draft's handshake is a challenge: the client hides two 32-bit numbers in Sec-WebSocket-Key1/-Key2
 * (§4.1 steps 16-22) and sends eight random bytes, /key_3/, after the header fields; the server proves it
 * read them by answering the MD5 of the three (§5.2 steps 4-9) after its own header fields.
 *
 * Where the draft is vague, the choice made here is written next to the code ("Choice:").
 */

import { hash } from 'node:crypto';
import { type HeaderLines, hasHeader, singleHeader } from '../http/raw-headers.js';
import { type Rejection, reject } from './rejection.js';

/**
 * §4.1 sends Sec-WebSocket-Key1 and -Key2 and no version; RFC 6455 §4.1 (and the hybi drafts from 04 on)
 * send Sec-WebSocket-Version. A request that carries the keys and a version is not a draft-76 client.
 */
export function isHixie76Request(headers: HeaderLines): boolean {
  return (
    hasHeader(headers, 'sec-websocket-key1') &&
    hasHeader(headers, 'sec-websocket-key2') &&
    !hasHeader(headers, 'sec-websocket-version')
  );
}

/**
 * §5.2 step 4: "If either /key-number_1/ or /key-number_2/ is greater than 4,294,967,295, then abort the
 * WebSocket connection. This is a symptom of an attack." A client never exceeds it: §4.1 step 17 picks
 * /number/ no greater than 4,294,967,295 divided by /spaces/, so the product /key-number/ fits in 32 bits.
 */
const MAX_KEY_NUMBER = 0xffff_ffff;

/**
 * §5.2 steps 4-7 for one key: /key-number/ is "the digits (characters in the range U+0030 DIGIT ZERO (0)
 * to U+0039 DIGIT NINE (9)) in /key/, interpreted as a base ten integer, ignoring all other characters";
 * /spaces/ is "the number of U+0020 SPACE characters"; the result is /key-number/ divided by /spaces/.
 * Refused (400 BAD_KEY) where the draft says abort: no space (step 5, "a symptom of a cross-protocol
 * attack"), a /key-number/ that is not an integral multiple of /spaces/ (step 6), or one over 2^32 - 1.
 *
 * Very long keys: the number is built digit by digit and refused as soon as it passes 2^32 - 1, so it
 * never leaves the exact range of a double (it stays below 2^36) however many digits are sent; leading
 * zeros add nothing. A browser's key is at most 34 characters (10 digits, 12 noise characters, 12 spaces).
 *
 * Choice: a key with no digit at all is refused. The draft does not say what the empty digit string
 * "interpreted as a base ten integer" is; §4.1 step 20 always writes at least one digit ("0").
 * Choice: only the ASCII digits count; other Unicode digits are "other characters" and are ignored, as
 * are tabs and every other whitespace but U+0020.
 */
export function parseHixie76Key(value: string): number | Rejection {
  let keyNumber = 0;
  let digits = 0;
  let spaces = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x20) {
      spaces++;
    } else if (code >= 0x30 && code <= 0x39) {
      digits++;
      keyNumber = keyNumber * 10 + (code - 0x30);
      if (keyNumber > MAX_KEY_NUMBER) return reject.badKey;
    }
  }
  if (digits === 0 || spaces === 0 || keyNumber % spaces !== 0) return reject.badKey;
  return keyNumber / spaces;
}

/** The two numbers of §5.2 step 7, /part_1/ and /part_2/. */
export interface Hixie76Keys {
  readonly number1: number;
  readonly number2: number;
}

/**
 * Both keys of a request. Choice: each must appear exactly once. The draft's client sends each once
 * (§4.1); a repeated key would make Node's joined value (`a, b`) a different key than either line.
 */
export function hixie76Keys(headers: HeaderLines): Hixie76Keys | Rejection {
  const key1 = singleHeader(headers, 'sec-websocket-key1');
  const key2 = singleHeader(headers, 'sec-websocket-key2');
  if (key1 === undefined || key2 === undefined) return reject.badKey;
  const number1 = parseHixie76Key(key1);
  if (typeof number1 !== 'number') return number1;
  const number2 = parseHixie76Key(key2);
  if (typeof number2 !== 'number') return number2;
  return { number1, number2 };
}

/**
 * §4.1 sends at most one Sec-WebSocket-Protocol, whose value is one protocol name, not a list (any
 * characters U+0021-U+007E, which may include commas). Choice: a name with other characters, or more than
 * one such field, is refused as RFC 6455's malformed lists are (400 BAD_SUBPROTOCOL).
 */
export function parseHixie76Protocol(lines: readonly string[]): readonly string[] | Rejection {
  if (lines.length === 0) return [];
  const value = lines[0] as string;
  if (lines.length > 1 || !/^[\x21-\x7e]+$/.test(value)) return reject.badSubprotocol;
  return [value];
}

/** §5.1: "the client sends eight random bytes" after the fields: /key_3/. */
export const HIXIE76_KEY3_LENGTH = 8;

/**
 * §5.2 step 8: /challenge/ is /part_1/ and /part_2/, each "expressed as a big-endian unsigned 32-bit
 * integer", then "the eight bytes of /key_3/ in the order they were sent on the wire"; step 9: the
 * response is "the MD5 fingerprint of /challenge/ as a big-endian 128 bit string" (16 bytes).
 * Throws RangeError for numbers outside 0..2^32-1 or a key3 that is not 8 bytes: a caller's bug.
 */
export function hixie76Challenge(number1: number, number2: number, key3: Buffer): Buffer {
  if (key3.length !== HIXIE76_KEY3_LENGTH) {
    throw new RangeError(`wsgate: draft-76 key3 is ${HIXIE76_KEY3_LENGTH} bytes, got ${key3.length}`);
  }
  const challenge = Buffer.allocUnsafe(16);
  challenge.writeUInt32BE(number1, 0);
  challenge.writeUInt32BE(number2, 4);
  key3.copy(challenge, 8);
  return hash('md5', challenge, 'buffer');
}

/**
 * §5.2 step 3: /location/ is the WebSocket URL built (§3.2) from /host/, /port/, /resource name/ and the
 * /secure flag/: `ws://` or `wss://`, the host, `:port` unless it is the scheme's default (80 or 443),
 * then the resource name. The client refuses a Location that is not the URL it opened (§4.1).
 *
 * `authority` is the request's Host value (§5.2: a server that answers for several hosts takes /host/
 * from the client's Host field); `resource` is its request-target (path and query), the resource name.
 * Choice: the host is lowered to ASCII lower case, as the client's URL parsing does, and an explicit
 * default port is dropped, as §3.2 step 4 writes none.
 */
export function hixie76Location(secure: boolean, authority: string, resource: string): string {
  let host = asciiLowerCase(authority);
  const port = /:(\d+)$/.exec(host);
  if (port !== null && Number(port[1]) === (secure ? 443 : 80)) host = host.slice(0, port.index);
  return `${secure ? 'wss' : 'ws'}://${host}${resource}`;
}

/** §5.2 step 10: the status line, exactly as the draft has the server send it. */
export const HIXIE76_STATUS_LINE = 'HTTP/1.1 101 WebSocket Protocol Handshake';

export interface Hixie76ResponseFields {
  /** The request's Origin; absent when the request had none (then no Sec-WebSocket-Origin is sent). */
  readonly origin?: string | undefined;
  /** From `hixie76Location`. */
  readonly location: string;
  /** The subprotocol the server agreed to, echoed as sent (§5.2); absent for none. */
  readonly protocol?: string | undefined;
}

/**
 * §5.2 step 11: the handshake's own fields, in the order of the draft's example (§1.3). Upgrade and
 * Connection are written exactly as the draft writes them ("WebSocket", "Upgrade"): clients of the time
 * compared them as strings. /origin/ is sent in ASCII lower case (§5.2) and the client checks it against
 * the Origin it sent. Choice: without an Origin in the request (no browser omits it) the field is left
 * out rather than invented; the gate's Origin policy decides whether such a request gets this far.
 */
export function hixie76OwnFields(fields: Hixie76ResponseFields): Record<string, string> {
  const headers: Record<string, string> = { Upgrade: 'WebSocket', Connection: 'Upgrade' };
  if (fields.origin !== undefined) headers['Sec-WebSocket-Origin'] = asciiLowerCase(fields.origin);
  headers['Sec-WebSocket-Location'] = fields.location;
  if (fields.protocol !== undefined) headers['Sec-WebSocket-Protocol'] = fields.protocol;
  return headers;
}

function asciiLowerCase(value: string): string {
  return value.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}
