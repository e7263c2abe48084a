/**
 * The order of a handshake, top to bottom: `open` (before the framework sees the request), `admit` (the route is
 * known, before its own middleware), `accept` (the hook, quotas, the acceptance). Drawn once, with every check in
 * its place, in docs/architecture.md ("The pipeline").
 *
 * Each step computes a value, Accept or Rejection, from the request's facts; only the transport writes
 * it. A client that goes away, or a deadline that passes, ends the handshake wherever it is: nothing
 * after that runs, and the handler is never called.
 */

import { type Admission, admitRequest } from '../decision/admission.js';
import { type Accept, decide } from '../decision/decide.js';
import { type FrameworkView, RequestSite } from '../decision/facts.js';
import type { Route } from '../decision/route.js';
import { checkEarlyRateLimits } from '../policy/limits.js';
import { Rejection, reject } from '../protocol/rejection.js';
import type { Transport } from '../transport/transport.js';
import { isPromise } from '../util/is-promise.js';
import { Admitted } from './admitted.js';
import { startConnection } from './connection.js';
import type { GateState } from './gate-state.js';
import { type AppSide, Handshake } from './pending-handshake.js';

/**
 * Step one. The pending handshake, or undefined once the refusal is written. `app`: the app's response and the
 * observer of the outcome, when an adapter runs the handshake through its framework.
 */
export function open(gate: GateState, transport: Transport, app?: AppSide): Handshake | undefined {
  const started = performance.now();
  const rejection = transport.check() ?? checkAuthorities(gate, transport) ?? gate.checkCapacity(transport.connection);
  if (rejection === undefined) return new Handshake(gate, transport, started, app);
  transport.reject(rejection);
  const { code, status } = rejection;
  gate.events.publish('reject', code, status, undefined, transport.name, started, transport.request);
  return undefined;
}

function checkAuthorities(gate: GateState, { wire }: Transport): Rejection | undefined {
  const same = wire.authority === wire.hostHeader;
  return (
    gate.checkHost(wire.hostHeader, wire.request) ?? (same ? undefined : gate.checkHost(wire.authority, wire.request))
  );
}

/**
 * Step two: the handshake admitted for `route`, for `accept`; undefined when it may not go on (it has been
 * answered, or it ended meanwhile). Synchronous unless a rate limit's store, the Origin policy or the
 * subprotocol selector is not.
 */
export function admit(
  handshake: Handshake,
  route: Route<unknown>,
  view?: FrameworkView,
): Admitted | undefined | Promise<Admitted | undefined> {
  if (!handshake.inFlight) return undefined;
  handshake.bind(route);
  const site = new RequestSite(handshake.transport.wire, view);
  let outcome: Admission | Rejection | Promise<Admission | Rejection>;
  try {
    outcome = admission(handshake, route, site);
  } catch (error) {
    handshake.fail(error);
    return undefined;
  }
  if (!isPromise(outcome)) return admitted(handshake, route, site, outcome);
  return outcome.then(
    (value) => admitted(handshake, route, site, value),
    (error: unknown) => {
      handshake.fail(error);
      return undefined;
    },
  );
}

function admission(
  handshake: Handshake,
  route: Route<unknown>,
  site: RequestSite,
): Admission | Rejection | Promise<Admission | Rejection> {
  const { gate } = handshake;
  const { wire } = site;
  // The authority the framework takes for the request's own (X-Forwarded-Host when it trusts the proxy)
  // is what Origin is compared with: it must be a Host this gate serves, like the Host header itself.
  const host = site.host;
  const forwarded = host === wire.authority ? undefined : gate.checkHost(host, wire.request);
  if (forwarded !== undefined) return forwarded;
  // A legacy handshake is answered as any unsupported version unless the route asks for it (RFC 6455 §4.4).
  if (wire.transport === 'hixie-76' && !route.legacy.includes('hixie-76')) return reject.unsupportedVersion;
  const facts = { transport: wire.transport, headers: wire.headers, site, request: wire.request };
  if (route.limits.early.length === 0) return admitRequest(route, facts);
  const info = { request: wire.request, route: route.path, ip: site.ip };
  return checkEarlyRateLimits(route.limits.early, info, (error) => handshake.report(error)).then(
    (limited) => limited ?? admitRequest(route, facts),
  );
}

function admitted(
  handshake: Handshake,
  route: Route<unknown>,
  site: RequestSite,
  outcome: Admission | Rejection,
): Admitted | undefined {
  if (!handshake.inFlight) return undefined;
  if (outcome instanceof Rejection) {
    handshake.reject(outcome);
    return undefined;
  }
  handshake.admittedAt(site);
  return new Admitted(handshake, route, outcome, site);
}

/**
 * Step three, for what `admit` admitted: what the transport still needs, the decision, the acceptance.
 * Never throws or rejects: every outcome is answered on the transport. Synchronous when nothing on the way
 * is asynchronous.
 */
export function accept(admitted: Admitted): void | Promise<void> {
  const ready = admitted.handshake.transport.ready?.();
  if (ready === undefined) return decideAndRespond(admitted);
  // What the transport needs beyond the request (draft-76's key bytes), awaited under the deadline.
  return ready.then((arrived) => (arrived && admitted.inFlight ? decideAndRespond(admitted) : undefined));
}

/** Both steps at once, for a route known before any app code runs (serve/node-server.ts). */
export function admitAndAccept<Context>(handshake: Handshake, route: Route<Context>): void | Promise<void> {
  const admitted = admit(handshake, route as Route<unknown>);
  if (isPromise(admitted)) return admitted.then((value) => (value === undefined ? undefined : accept(value)));
  if (admitted !== undefined) return accept(admitted);
}

function decideAndRespond(admitted: Admitted): void | Promise<void> {
  const { handshake, route } = admitted;
  let decision: ReturnType<typeof decide<unknown>>;
  try {
    decision = decide(route, admitted.admission, admitted);
  } catch (error) {
    handshake.fail(error);
    return;
  }
  if (!isPromise(decision)) return respond(admitted, decision);
  return decision.then(
    (value) => respond(admitted, value),
    (error: unknown) => handshake.fail(error),
  );
}

/** The decision written, a refusal or the acceptance, by the handshake; then the connection (connection.ts). */
function respond({ handshake, route }: Admitted, decision: Accept<unknown> | Rejection | undefined): void {
  if (decision === undefined) return;
  if (decision instanceof Rejection) {
    handshake.reject(decision);
    return;
  }
  const socket = handshake.accept(decision);
  if (socket !== undefined) startConnection(handshake, route, decision, socket);
}
