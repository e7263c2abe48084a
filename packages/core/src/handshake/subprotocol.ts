/**
 * Sec-WebSocket-Protocol, RFC 6455 §4.1 and §11.3.4: the client offers `1#token` with "elements
 * unique"; the server answers with one of them or none (§4.2.2 (5.5)).
 */

import type { IncomingMessage } from 'node:http';
import { isToken, splitList } from '../http/token-list.js';
import { type Rejection, reject } from '../rejection.js';

/** The offered protocols in the client's order, or BAD_SUBPROTOCOL for a non-token or repeated element. */
export function parseSubprotocols(lines: readonly string[]): readonly string[] | Rejection {
  if (lines.length === 0) return [];
  const offered = splitList(lines);
  for (let i = 0; i < offered.length; i++) {
    const protocol = offered[i] as string;
    if (!isToken(protocol) || offered.indexOf(protocol) !== i) return reject.badSubprotocol;
  }
  return offered;
}

/**
 * How the server picks: a preference list (the server's order wins, as DESIGN.md's defaults ask), or a
 * function of the offered list and the request returning the choice, or nothing for none.
 */
export type SubprotocolSelector =
  | readonly string[]
  | ((offered: readonly string[], request: IncomingMessage) => string | undefined | Promise<string | undefined>);

/** The first protocol of the server's preference list that the client offered. */
export function negotiateSubprotocol(offered: readonly string[], preference: readonly string[]): string | undefined {
  for (const protocol of preference) if (offered.includes(protocol)) return protocol;
  return undefined;
}
