/**
 * Sec-WebSocket-Protocol, RFC 6455 §4.1 and §11.3.4: the client offers `1#token` with "elements
 * unique"; the server answers with one of them or none (§4.2.2 (5.5)).
 */

import { isToken, splitList } from '../http/token-list.js';
import { type Rejection, reject } from './rejection.js';
import type { UpgradeRequest } from './request.js';

/**
 * More protocols than any client offers: a list this long is refused before anything else reads it, so
 * that a handshake's cost stays bounded whatever a client sends ahead of authentication.
 */
export const MAX_OFFERED_PROTOCOLS = 128;

/**
 * The offered protocols in the client's order, or BAD_SUBPROTOCOL for a non-token or repeated element,
 * or a list longer than MAX_OFFERED_PROTOCOLS. Linear in the header's length.
 */
export function parseSubprotocols(lines: readonly string[]): readonly string[] | Rejection {
  if (lines.length === 0) return [];
  const offered = splitList(lines);
  if (offered.length > MAX_OFFERED_PROTOCOLS) return reject.badSubprotocol;
  const seen = new Set<string>();
  for (const protocol of offered) {
    if (!isToken(protocol) || seen.has(protocol)) return reject.badSubprotocol;
    seen.add(protocol);
  }
  return offered;
}

/**
 * How the server picks: a preference list (the server's order wins: it knows which versions it prefers), or a
 * function of the offered list and the request returning the choice, or nothing for none.
 */
export type SubprotocolSelector =
  | readonly string[]
  | ((offered: readonly string[], request: UpgradeRequest) => string | undefined | Promise<string | undefined>);

/** The first protocol of the server's preference list that the client offered. */
export function negotiateSubprotocol(offered: readonly string[], preference: readonly string[]): string | undefined {
  for (const protocol of preference) if (offered.includes(protocol)) return protocol;
  return undefined;
}
