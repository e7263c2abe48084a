/**
 * permessage-deflate offers, RFC 7692 §7. Which offers a server may accept at all; whether it *wants* to
 * (its own options) is ws's PerMessageDeflate's decision, over the offers that pass here.
 *
 * §7: "A server MUST decline an extension negotiation offer for this extension if any of the following
 * conditions are met: the negotiation offer contains an extension parameter not defined for use in an
 * offer; ... an extension parameter with an invalid value; ... multiple extension parameters with the
 * same name." Declining one offer is not refusing the connection: the next offer is considered (§5).
 */

import type { ExtensionOffer } from './extensions.js';

export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/**
 * §7.1.2.1 / §7.1.2.2: a window size is a decimal integer from 8 to 15, "without leading zeros":
 * '09', '+9' and '9.0' are not one, however a number parser reads them.
 */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** Each parameter an offer may carry (§7.1), and whether its value is none, required or optional. */
const OFFER_PARAMS: Readonly<Record<string, 'none' | 'bits' | 'optional-bits'>> = {
  server_no_context_takeover: 'none',
  client_no_context_takeover: 'none',
  server_max_window_bits: 'bits',
  client_max_window_bits: 'optional-bits',
};

/** Whether `offer` is a permessage-deflate offer that §7 lets a server accept. */
export function isValidDeflateOffer(offer: ExtensionOffer): boolean {
  if (offer.name !== PERMESSAGE_DEFLATE) return false;
  for (const name of Object.keys(offer.params)) {
    const kind = Object.hasOwn(OFFER_PARAMS, name) ? OFFER_PARAMS[name] : undefined;
    const values = offer.params[name] ?? [];
    if (kind === undefined || values.length !== 1) return false;
    const value = values[0];
    if (kind === 'none' && value !== true) return false;
    if (kind === 'bits' && (value === true || !WINDOW_BITS.test(value as string))) return false;
    if (kind === 'optional-bits' && value !== true && !WINDOW_BITS.test(value as string)) return false;
  }
  return true;
}

/** The permessage-deflate offers a server may accept, in the client's order of preference. */
export function acceptableDeflateOffers(offers: readonly ExtensionOffer[]): ExtensionOffer[] {
  return offers.filter(isValidDeflateOffer);
}
