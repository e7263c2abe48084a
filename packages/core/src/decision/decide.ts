/**
 * The decision: once the route's own middleware has let the handshake through, the application's hook
 * gives the connection its context (or refuses), quotas take their leases, and what the acceptance will
 * carry is settled: protocol, permessage-deflate, headers. The result is a value, `Accept` or a
 * `Rejection`, for a transport to write; nothing here touches a socket.
 */

import { type FrameOptions, type NegotiatedDeflate, negotiatePerMessageDeflate } from '../engine/ws.js';
import type { HeaderFields } from '../http/fields.js';
import { carriedHeaders } from '../http/fields.js';
import { decideLimits, type HeldLeases } from '../policy/limits.js';
import { hixie76Location, hixie76ResourceName } from '../protocol/hixie76.js';
import { Rejection, reject } from '../protocol/rejection.js';
import { isPromise } from '../util/is-promise.js';
import type { Admission } from './admission.js';
import type { RequestSite } from './facts.js';
import type { CookieSource } from './hook.js';
import type { Route } from './route.js';
import { UpgradeView } from './upgrade-view.js';

/** A handshake the gate accepts, and everything the transport and the connection need. */
export interface Accept<Context = unknown> {
  readonly protocol: string | undefined;
  readonly deflate: NegotiatedDeflate | undefined;
  /** Headers for the acceptance beyond the handshake's own: the app's carried ones, then the hook's. */
  readonly headers: HeaderFields;
  /** The route's frame limits and timings, for the socket the transport starts. */
  readonly frames: FrameOptions;
  /**
   * draft-76's Location field (§5.2): the request's own scheme and Host as the framework sees them, and its
   * resource name. Undefined for every other transport.
   */
  readonly location: string | undefined;
  readonly context: Context;
  /** The quota leases, given back when the connection closes; a lost one closes it (1013). */
  readonly leases: HeldLeases | undefined;
}

/** What the decision needs beyond the route and the admission: a small value (lifecycle/admitted.ts). */
export interface DecisionInputs {
  readonly site: RequestSite;
  readonly cookies: CookieSource;
  /** The handshake's abort signal, made on first read. */
  readonly signal: AbortSignal;
  /** False once the client went away or the deadline passed: nothing more is decided then. */
  readonly inFlight: boolean;
  /** True once the gate began to close. */
  readonly closing: boolean;
  report(error: unknown): void;
}

type Decision<Context> = Accept<Context> | Rejection | undefined;

/**
 * Accept, Rejection, or undefined when the handshake ended (client gone, deadline) while the hook or a
 * store was being awaited: then nothing is held and nothing is to be written. Synchronous unless the hook
 * or a quota's store is not. A hook that throws a Rejection refuses with it; any other throw propagates,
 * for the caller to report as 500 HOOK_FAILED.
 */
export function decide<Context>(
  route: Route<Context>,
  admission: Admission,
  inputs: DecisionInputs,
): Decision<Context> | Promise<Decision<Context>> {
  // The application's hook: authentication, authorization, the connection's context.
  if (route.onUpgrade === undefined) return takeQuotas(route, admission, inputs, undefined as Context, undefined);
  const view = new UpgradeView(route.path, inputs.site, admission, inputs.cookies, inputs);
  let result: Context | Rejection | Promise<Context | Rejection>;
  try {
    result = route.onUpgrade(view);
  } catch (error) {
    return refusalOf(error);
  }
  if (isPromise(result)) {
    return result.then((outcome) => afterHook(route, admission, inputs, outcome, view), refusalOf);
  }
  return afterHook(route, admission, inputs, result, view);
}

/** A Rejection thrown by the hook is its answer; anything else is a programming error, for the caller. */
function refusalOf(error: unknown): Rejection {
  if (error instanceof Rejection) return error;
  throw error;
}

function afterHook<Context>(
  route: Route<Context>,
  admission: Admission,
  inputs: DecisionInputs,
  outcome: Context | Rejection,
  view: UpgradeView,
): Decision<Context> | Promise<Decision<Context>> {
  if (!inputs.inFlight) return undefined;
  if (outcome instanceof Rejection) return outcome;
  return takeQuotas(route, admission, inputs, outcome, view.headers);
}

/** Quotas after the hook, so that a key can use its context (e.g. the user id); with them, the rate limits
 * whose store decides the route's limits in one call (policy/limits.ts). */
function takeQuotas<Context>(
  route: Route<Context>,
  admission: Admission,
  inputs: DecisionInputs,
  context: Context,
  hookHeaders: HeaderFields | undefined,
): Decision<Context> | Promise<Decision<Context>> {
  if (route.limits.quotas.length === 0) return conclude(route, admission, inputs, context, hookHeaders, undefined);
  const { site } = inputs;
  const info = { request: site.wire.request, route: route.path, ip: site.ip, context };
  return decideLimits(route.limits, info, (error) => inputs.report(error)).then((held) => {
    if (held instanceof Rejection) return held;
    if (!inputs.inFlight) {
      held.release();
      return undefined;
    }
    return conclude(route, admission, inputs, context, hookHeaders, held);
  });
}

/** What the acceptance carries: protocol, permessage-deflate, headers, the leases to give back. */
function conclude<Context>(
  route: Route<Context>,
  admission: Admission,
  inputs: DecisionInputs,
  context: Context,
  hookHeaders: HeaderFields | undefined,
  leases: HeldLeases | undefined,
): Accept<Context> | Rejection {
  // The gate began to close while the hook ran: no new connection now.
  if (inputs.closing) {
    leases?.release();
    return reject.shuttingDown;
  }
  const { site } = inputs;
  const deflate =
    route.perMessageDeflate !== undefined && admission.offers.length > 0 && site.wire.transport !== 'hixie-76'
      ? negotiatePerMessageDeflate(admission.offers, route.perMessageDeflate, route.frames.maxPayload)
      : undefined;
  const carried = site.view?.responseHeaders;
  const headers =
    carried === undefined ? (hookHeaders ?? {}) : { ...carriedHeaders(carried, hookHeaders), ...hookHeaders };
  const { wire } = site;
  const location =
    wire.transport === 'hixie-76'
      ? hixie76Location(site.secure, site.host, hixie76ResourceName(wire.request.url ?? '/'))
      : undefined;
  return { protocol: admission.protocol, deflate, headers, frames: route.frames, location, context, leases };
}
