/**
 * The decision: once the route's own middleware has let the handshake through, the application's hook
 * gives the connection its context (or refuses), quotas take their leases, and what the acceptance will
 * carry is settled: protocol, permessage-deflate, headers. The result is a value, `Accept` or a
 * `Rejection`, for a transport to write; nothing here touches a socket.
 */

import type { Admission } from './admission.js';
import { type NegotiatedDeflate, negotiatePerMessageDeflate } from './engine/ws.js';
import type { RequestSite } from './facts.js';
import { carriedHeaders } from './http/fields.js';
import type { HeaderFields } from './http/response.js';
import { acquireQuotas, type Release } from './policy/quota.js';
import { isPromise } from './promise.js';
import { Rejection, reject } from './rejection.js';
import type { Route } from './route.js';
import { type CookieSource, UpgradeView } from './upgrade.js';

/** A handshake the gate accepts, and everything the transport and the connection need. */
export interface Accept<Context = unknown> {
  readonly protocol: string | undefined;
  readonly deflate: NegotiatedDeflate | undefined;
  /** Headers for the acceptance beyond the handshake's own: the app's carried ones, then the hook's. */
  readonly headers: HeaderFields;
  readonly context: Context;
  /** Gives the quota leases back: called when the connection closes. */
  readonly release: Release | undefined;
}

/** What the decision needs beyond the route and the admission. */
export interface DecisionInputs {
  readonly site: RequestSite;
  readonly cookies: CookieSource;
  /** The handshake's abort signal, made on first use. */
  readonly signal: () => AbortSignal;
  /** False once the client went away or the deadline passed: nothing more is decided then. */
  readonly pending: () => boolean;
  /** True once the gate began to close. */
  readonly closing: () => boolean;
  readonly report: (error: unknown) => void;
}

/**
 * Accept, Rejection, or undefined when the handshake ended (client gone, deadline) while the hook or a
 * store was being awaited: then nothing is held and nothing is to be written. A hook that throws a
 * Rejection refuses with it; any other throw propagates, for the caller to report as 500 HOOK_FAILED.
 */
export async function decide<Context>(
  route: Route<Context>,
  admission: Admission,
  inputs: DecisionInputs,
): Promise<Accept<Context> | Rejection | undefined> {
  const { site } = inputs;

  // The application's hook: authentication, authorization, the connection's context.
  let context = undefined as Context;
  let hookHeaders: HeaderFields | undefined;
  if (route.onUpgrade !== undefined) {
    const view = new UpgradeView(route.path, site, admission, inputs.cookies, inputs.signal);
    let outcome: Context | Rejection;
    try {
      const result = route.onUpgrade(view);
      outcome = isPromise(result) ? await result : result;
    } catch (error) {
      if (error instanceof Rejection) outcome = error;
      else throw error;
    }
    if (!inputs.pending()) return undefined;
    if (outcome instanceof Rejection) return outcome;
    context = outcome;
    hookHeaders = view.headers;
  }

  // Quotas after the hook, so that a key can use its context (e.g. the user id).
  let release: Release | undefined;
  if (route.quotas.length > 0) {
    const held = await acquireQuotas(
      route.quotas,
      { request: site.wire.request, route: route.path, ip: site.ip, context },
      inputs.report,
    );
    if (held instanceof Rejection) return held;
    if (!inputs.pending()) {
      held();
      return undefined;
    }
    release = held;
  }

  // The gate began to close while the hook ran: no new connection now.
  if (inputs.closing()) {
    release?.();
    return reject.shuttingDown;
  }

  const deflate =
    route.perMessageDeflate !== undefined && admission.offers.length > 0 && site.wire.transport !== 'hixie-76'
      ? negotiatePerMessageDeflate(admission.offers, route.perMessageDeflate, route.frames.maxPayload)
      : undefined;
  const carried = site.view?.responseHeaders;
  const headers =
    carried === undefined ? (hookHeaders ?? {}) : { ...carriedHeaders(carried, hookHeaders), ...hookHeaders };
  return { protocol: admission.protocol, deflate, headers, context, release };
}
