/**
 * The server's reading of a client's opening handshake, RFC 6455 §4.2.1, one pure function per
 * requirement. Each returns `undefined` when the request passes, or the Rejection from the table in rejection.ts.
 */

import { hash } from 'node:crypto';
import { type HeaderLines, hasHeader, headerLines, singleHeader } from '../http/raw-headers.js';
import { listHasToken } from '../http/token-list.js';
import { type Rejection, reject } from './rejection.js';

/** What the checks read: the request line and the raw header lines. */
export interface HandshakeRequest {
  readonly method: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly headers: HeaderLines;
}

/** §4.2.1 (1): "An HTTP/1.1 or higher GET request". */
export function checkMethod(request: HandshakeRequest): Rejection | undefined {
  return request.method === 'GET' ? undefined : reject.methodNotAllowed;
}

/**
 * §4.2.1 (1), §4.1: "the HTTP version MUST be at least 1.1". An HTTP/1 request line says 1.x: a major
 * version other than 1 is not this protocol (RFC 9112 §2.3; HTTP/2 is its own transport, RFC 8441).
 */
export function checkHttpVersion(request: HandshakeRequest): Rejection | undefined {
  const { httpVersionMajor: major, httpVersionMinor: minor } = request;
  return major === 1 && minor >= 1 ? undefined : reject.httpVersion;
}

/**
 * §4.1 describes a request without content, and RFC 9112 §6.3 frames one by Transfer-Encoding or a
 * Content-Length: any Transfer-Encoding, or a length other than 0, announces bytes that are not frames.
 */
export function checkNoBody(request: HandshakeRequest): Rejection | undefined {
  if (hasHeader(request.headers, 'transfer-encoding')) return reject.bodyNotAllowed;
  for (const length of headerLines(request.headers, 'content-length')) {
    if (length.trim() !== '0') return reject.bodyNotAllowed;
  }
  return undefined;
}

/** §4.2.1 (3): "An |Upgrade| header field containing the value "websocket", treated as an ASCII case-insensitive value." */
export function checkUpgrade(request: HandshakeRequest): Rejection | undefined {
  return listHasToken(headerLines(request.headers, 'upgrade'), 'websocket') ? undefined : reject.notAnUpgrade;
}

/** §4.2.1 (4): "A |Connection| header field that includes the token "Upgrade", treated as an ASCII case-insensitive value." */
export function checkConnection(request: HandshakeRequest): Rejection | undefined {
  return listHasToken(headerLines(request.headers, 'connection'), 'upgrade') ? undefined : reject.notAnUpgrade;
}

/**
 * §4.2.1 (6): "A |Sec-WebSocket-Version| header field, with a value of 13." §4.4: otherwise answer
 * 426 with the versions we do support. Repeated lines are not "a value of 13".
 */
export function checkVersion(request: HandshakeRequest): Rejection | undefined {
  return singleHeader(request.headers, 'sec-websocket-version') === '13' ? undefined : reject.unsupportedVersion;
}

/**
 * §4.2.1 (5): "A |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded, is
 * 16 bytes in length." §11.3.1: it MUST NOT appear more than once.
 *
 * 16 bytes encode to 22 base64 characters and `==`. The 22nd character carries 2 significant bits and 4
 * padding bits; RFC 4648 §3.5 lets a decoder accept padding bits that are not zero, and every peer does,
 * so such a key still decodes to 16 bytes and is accepted.
 */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

export function checkKey(request: HandshakeRequest): string | Rejection {
  const key = singleHeader(request.headers, 'sec-websocket-key');
  return key !== undefined && KEY_PATTERN.test(key) ? key : reject.badKey;
}

/** §4.2.1 (2): "A |Host| header field containing the server's authority." RFC 9110 §7.2: exactly one. */
export function checkHostPresent(request: HandshakeRequest): string | Rejection {
  const host = singleHeader(request.headers, 'host');
  return host !== undefined && host !== '' ? host : reject.badHost;
}

/** The checks of §4.2.1 in order; on success, the values the rest of the handshake needs. */
export function checkOpeningHandshake(request: HandshakeRequest): { key: string; host: string } | Rejection {
  const rejection =
    checkMethod(request) ??
    checkHttpVersion(request) ??
    checkNoBody(request) ??
    checkUpgrade(request) ??
    checkConnection(request) ??
    checkVersion(request);
  if (rejection !== undefined) return rejection;
  const key = checkKey(request);
  if (typeof key !== 'string') return key;
  const host = checkHostPresent(request);
  if (typeof host !== 'string') return host;
  return { key, host };
}

/** §4.2.2 (5.4): base64 of the SHA-1 of the key concatenated with this GUID. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return hash('sha1', key + WEBSOCKET_GUID, 'base64');
}
