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
import type { FrameworkView, RequestSite } from '../decision/facts.js';
import type { Route } from '../decision/route.js';
import { checkRateLimits } from '../policy/rate-limit.js';
import { Rejection, reject } from '../protocol/rejection.js';
import type { Transport } from '../transport/transport.js';
import { isPromise } from '../util/is-promise.js';
import { startConnection } from './connection.js';
import type { GateState } from './gate-state.js';
import { type AppResponse, Handshake } from './pending-handshake.js';

/** Step one. The pending handshake, or undefined once the refusal is written. */
export function open(gate: GateState, transport: Transport, response?: AppResponse): Handshake | undefined {
  const started = performance.now();
  const rejection = transport.check() ?? checkAuthorities(gate, transport) ?? gate.checkCapacity();
  if (rejection === undefined) return new Handshake(gate, transport, started, response);
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
 * Step two: whether the handshake may go on; when not, it has been answered. Synchronous unless a rate
 * limit's store, the Origin policy or the subprotocol selector is not.
 */
export function admit(handshake: Handshake, route: Route<unknown>, view?: FrameworkView): boolean | Promise<boolean> {
  if (handshake.admitted?.route === route) return true;
  if (!handshake.pending) return false;
  handshake.bind(route);
  const site = handshake.siteOf(view);
  let outcome: Admission | Rejection | Promise<Admission | Rejection>;
  try {
    outcome = admission(handshake, route, site);
  } catch (error) {
    handshake.fail(error);
    return false;
  }
  if (!isPromise(outcome)) return admitted(handshake, route, site, outcome);
  return outcome.then(
    (value) => admitted(handshake, route, site, value),
    (error: unknown) => {
      handshake.fail(error);
      return false;
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
  if (route.rateLimits.length === 0) return admitRequest(route, facts);
  const info = { request: wire.request, route: route.path, ip: site.ip };
  return checkRateLimits(route.rateLimits, info, (error) => handshake.report(error)).then(
    (limited) => limited ?? admitRequest(route, facts),
  );
}

function admitted(handshake: Handshake, route: Route<unknown>, site: RequestSite, outcome: Admission | Rejection) {
  if (!handshake.pending) return false;
  if (outcome instanceof Rejection) {
    handshake.reject(outcome);
    return false;
  }
  handshake.admitted = { route, admission: outcome, site };
  return true;
}

/**
 * Step three: what the transport still needs, the decision, the acceptance. Never throws or rejects: every
 * outcome is answered on the transport. Synchronous when nothing on the way is asynchronous.
 */
export function accept<Context>(
  handshake: Handshake,
  route: Route<Context>,
  view?: FrameworkView,
): void | Promise<void> {
  const ok = admit(handshake, route as Route<unknown>, view);
  if (isPromise(ok)) return ok.then((admitted) => (admitted ? awaitTransport(handshake, route) : undefined));
  if (ok) return awaitTransport(handshake, route);
}

/** What the transport needs beyond the request (draft-76's key bytes), awaited under the deadline. */
function awaitTransport<Context>(handshake: Handshake, route: Route<Context>): void | Promise<void> {
  const ready = handshake.transport.ready?.();
  if (ready === undefined) return decideAndRespond(handshake, route);
  return ready.then((arrived) => (arrived && handshake.pending ? decideAndRespond(handshake, route) : undefined));
}

function decideAndRespond<Context>(handshake: Handshake, route: Route<Context>): void | Promise<void> {
  const { admission } = handshake.admitted as NonNullable<Handshake['admitted']>;
  let decision: ReturnType<typeof decide<Context>>;
  try {
    decision = decide(route, admission, handshake);
  } catch (error) {
    handshake.fail(error);
    return;
  }
  if (!isPromise(decision)) return respond(handshake, route, decision);
  return decision.then(
    (value) => respond(handshake, route, value),
    (error: unknown) => handshake.fail(error),
  );
}

/** The decision written: a refusal, or the acceptance and the connection (connection.ts). */
function respond<Context>(
  handshake: Handshake,
  route: Route<Context>,
  decision: Accept<Context> | Rejection | undefined,
) {
  if (decision === undefined) return;
  if (decision instanceof Rejection) handshake.reject(decision);
  else startConnection(handshake, route, decision);
}
