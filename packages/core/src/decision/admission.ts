/**
 * Admission: what a route decides from the request alone, before any of the application's own code for
 * that route runs. Origin (count, absence, policy), fetch metadata, the offered subprotocols and the
 * protocol token, the offered extensions. A pure function of the route and the request's facts: sync,
 * or async only when the route's Origin policy or subprotocol selector is.
 */

import { type HeaderLines, hasHeader, headerLines } from '../http/raw-headers.js';
import { fetchMetadataAllows } from '../policy/fetch-metadata.js';
import type { OriginContext } from '../policy/origin.js';
import { takeProtocolToken } from '../policy/protocol-token.js';
import { type ExtensionOffer, parseExtensions } from '../protocol/extensions.js';
import { parseHixie76Protocol } from '../protocol/hixie76.js';
import { Rejection, reject } from '../protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';
import { negotiateSubprotocol, parseSubprotocols } from '../protocol/subprotocol.js';
import { isPromise } from '../util/is-promise.js';
import type { Route } from './route.js';

/** What admission established, for the hook and the acceptance. */
export interface Admission {
  readonly origin: string | undefined;
  /** Offered protocols in the client's order, the token entry taken out. */
  readonly offered: readonly string[];
  readonly token: string | undefined;
  readonly offers: readonly ExtensionOffer[];
  /** The protocol the server chose, if any. */
  readonly protocol: string | undefined;
}

/**
 * The facts admission reads. `site` is what an Origin policy compares with (the request's own scheme and
 * host, and the request); it may resolve lazily, and is read only by a policy that needs it (sameOrigin).
 */
export interface AdmissionFacts {
  readonly transport: TransportName;
  readonly headers: HeaderLines;
  readonly site: OriginContext;
  readonly request: UpgradeRequest;
}

export type AdmissionRoute = Pick<
  Route,
  'originPolicy' | 'missingOrigin' | 'fetchMetadata' | 'subprotocols' | 'requireSubprotocol' | 'protocolToken'
>;

/**
 * The route's admission of the request. Throws (a programming error, for the caller to report as 500
 * HOOK_FAILED) when the subprotocol selector chooses a protocol the client did not offer.
 */
export function admitRequest(
  route: AdmissionRoute,
  facts: AdmissionFacts,
): Admission | Rejection | Promise<Admission | Rejection> {
  const { headers } = facts;

  // Origin (RFC 6454 §7; RFC 6455 §10.2): the browser's word on who opened this connection.
  const originLines = headerLines(headers, 'origin');
  if (originLines.length > 1) return reject.badOrigin;
  const origin = originLines[0];
  if (origin === undefined) {
    // A non-browser client sends no Origin; a request that carries cookies but no Origin is not one to trust.
    const allowed =
      route.missingOrigin === 'allow' ||
      (route.missingOrigin === 'allow-without-cookies' && !hasHeader(headers, 'cookie'));
    return allowed ? afterOrigin(route, facts, undefined) : reject.originForbidden;
  }
  const verdict = route.originPolicy(origin, facts.site);
  if (isPromise(verdict)) {
    return verdict.then((allowed) => (allowed === true ? afterOrigin(route, facts, origin) : reject.originForbidden));
  }
  return verdict === true ? afterOrigin(route, facts, origin) : reject.originForbidden;
}

function afterOrigin(
  route: AdmissionRoute,
  facts: AdmissionFacts,
  origin: string | undefined,
): Admission | Rejection | Promise<Admission | Rejection> {
  const { headers } = facts;

  // Fetch metadata: a browser that says the page is cross-site is refused without any origin list.
  if (route.fetchMetadata && !fetchMetadataAllows(headerLines(headers, 'sec-fetch-site'))) {
    return reject.crossSiteForbidden;
  }

  // Subprotocols (RFC 6455 §4.2.2 (5.5)) and extensions (§9.1): parsed strictly, chosen by the server.
  const legacy = facts.transport === 'hixie-76';
  const protocolLines = headerLines(headers, 'sec-websocket-protocol');
  const parsed = legacy ? parseHixie76Protocol(protocolLines) : parseSubprotocols(protocolLines);
  if (parsed instanceof Rejection) return parsed;
  const { offered, token } = takeProtocolToken(parsed, route.protocolToken);
  // Draft-76 has no extensions: whatever a legacy client sends there is not negotiated.
  const offers = legacy ? [] : parseExtensions(headerLines(headers, 'sec-websocket-extensions'));
  if (offers instanceof Rejection) return offers;

  const selector = route.subprotocols;
  if (selector === undefined || offered.length === 0) return settle(route, origin, offered, token, offers, undefined);
  if (typeof selector !== 'function') {
    return settle(route, origin, offered, token, offers, negotiateSubprotocol(offered, selector));
  }
  const chosen = selector(offered, facts.request as never);
  return isPromise(chosen)
    ? chosen.then((protocol) => settle(route, origin, offered, token, offers, protocol))
    : settle(route, origin, offered, token, offers, chosen);
}

function settle(
  route: AdmissionRoute,
  origin: string | undefined,
  offered: readonly string[],
  token: string | undefined,
  offers: readonly ExtensionOffer[],
  protocol: string | undefined,
): Admission | Rejection {
  if (protocol !== undefined && !offered.includes(protocol)) {
    // §4.2.2: the server's protocol MUST be one the client offered, or the client fails the connection.
    // Never quoted: a selector may have returned the protocol token entry.
    throw new Error('wsgate: the subprotocol selector chose a protocol the client did not offer');
  }
  if (protocol === undefined && route.requireSubprotocol) return reject.noSubprotocol;
  return { origin, offered, token, offers, protocol };
}
