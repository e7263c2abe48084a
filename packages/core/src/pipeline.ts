/**
 * The order of a handshake, top to bottom (docs/architecture.md):
 *
 *   open     before the framework sees the request
 *              the transport's own checks (RFC 6455 §4.2.1, RFC 8441 §4, draft-76 §5.2)
 *              -> Host and the target's authority (RFC 9110 §7.2, RFC 9112 §3.2.2: DNS rebinding)
 *              -> shutting down? -> the cap on handshakes in flight
 *   [the framework routes the request and runs the app's middleware, under the same deadline]
 *   admit    the route is known; before the route's own middleware
 *              the framework's authority (trust-proxy) -> the route's transports -> rate limits
 *              -> Origin -> fetch metadata -> subprotocols, protocol token, extensions
 *   [the route's own middleware: the framework's auth may answer instead]
 *   accept   the hook -> quotas -> shutting down? -> permessage-deflate          (decision.ts)
 *              -> the transport writes the acceptance -> the handler gets the socket
 *
 * Each step computes a value, Accept or Rejection, from the request's facts; only the transport writes
 * it. A client that goes away, or a deadline that passes, ends the handshake wherever it is: nothing
 * after that runs, and the handler is never called.
 */

import type { WebSocket } from 'ws';
import { type Admission, admitRequest } from './admission.js';
import { type Accept, decide } from './decision.js';
import type { FrameworkView, RequestSite } from './facts.js';
import type { GateState } from './gate-state.js';
import { type AppResponse, Handshake } from './handshake.js';
import { checkRateLimits } from './policy/rate-limit.js';
import { isPromise } from './promise.js';
import { Rejection, reject } from './rejection.js';
import type { Route } from './route.js';
import type { Transport } from './transport/transport.js';

/** Step one. The pending handshake, or undefined once the refusal is written. */
export function open(gate: GateState, transport: Transport, response?: AppResponse): Handshake | undefined {
  const started = performance.now();
  const rejection = transport.check() ?? checkAuthorities(gate, transport) ?? gate.checkCapacity();
  if (rejection === undefined) return new Handshake(gate, transport, started, response);
  transport.reject(rejection);
  gate.events.publish(
    'reject',
    rejection.code,
    rejection.status,
    undefined,
    transport.name,
    started,
    transport.request,
  );
  return undefined;
}

function checkAuthorities(gate: GateState, transport: Transport): Rejection | undefined {
  const { hostHeader, authority, request } = transport.wire;
  return (
    gate.checkHost(hostHeader, request) ?? (authority === hostHeader ? undefined : gate.checkHost(authority, request))
  );
}

/** Step two. Resolves to whether the handshake may go on; when not, it has been answered. */
export async function admit(handshake: Handshake, route: Route<unknown>, view?: FrameworkView): Promise<boolean> {
  if (handshake.admitted?.route === route) return true;
  if (!handshake.pending) return false;
  handshake.bind(route);
  try {
    const site = handshake.site(view);
    const outcome = await admission(handshake, route, site);
    if (!handshake.pending) return false;
    if (outcome instanceof Rejection) {
      handshake.reject(outcome);
      return false;
    }
    handshake.admitted = { route, admission: outcome, site };
    return true;
  } catch (error) {
    handshake.fail(error);
    return false;
  }
}

async function admission(
  handshake: Handshake,
  route: Route<unknown>,
  site: RequestSite,
): Promise<Admission | Rejection> {
  const { gate } = handshake;
  const { wire } = site;
  // The authority the framework takes for the request's own (X-Forwarded-Host when it trusts the proxy)
  // is what Origin is compared with: it must be a Host this gate serves, like the Host header itself.
  const host = site.host;
  const forwarded = host === wire.authority ? undefined : gate.checkHost(host, wire.request);
  if (forwarded !== undefined) return forwarded;
  // A legacy handshake is answered as any unsupported version unless the route asks for it (RFC 6455 §4.4).
  if (wire.transport === 'hixie-76' && !route.legacy.includes('hixie-76')) return reject.unsupportedVersion;
  if (route.rateLimits.length > 0) {
    const limited = await checkRateLimits(
      route.rateLimits,
      { request: wire.request, route: route.path, ip: site.ip },
      (error) => handshake.report(error),
    );
    if (limited !== undefined) return limited;
  }
  return admitRequest(route, { transport: wire.transport, headers: wire.headers, site, request: wire.request });
}

/** Step three. Never rejects: every outcome is answered on the transport. */
export async function accept<Context>(
  handshake: Handshake,
  route: Route<Context>,
  view?: FrameworkView,
): Promise<void> {
  try {
    if (!(await admit(handshake, route as Route<unknown>, view))) return;
    const { admission, site } = handshake.admitted as NonNullable<Handshake['admitted']>;
    const { gate, transport } = handshake;
    // What the transport needs beyond the request (draft-76's key bytes), awaited under the deadline.
    if (transport.ready !== undefined && !(await transport.ready())) return;
    if (!handshake.pending) return;
    const decision = await decide(route, admission, {
      site,
      cookies: gate.cookies,
      signal: () => handshake.signal,
      pending: () => handshake.pending,
      closing: () => gate.closing,
      report: (error) => handshake.report(error),
    });
    if (decision === undefined) return;
    if (decision instanceof Rejection) return handshake.reject(decision);
    respond(handshake, route, decision, site);
  } catch (error) {
    handshake.fail(error);
  }
}

/** The transport writes the acceptance; the handler gets the socket. */
function respond<Context>(
  handshake: Handshake,
  route: Route<Context>,
  accepted: Accept<Context>,
  site: RequestSite,
): void {
  let socket: WebSocket;
  try {
    socket = handshake.transport.accept(accepted as Accept, route as Route<unknown>, site);
  } catch (error) {
    // Nothing was written (a header the hook set was refused): give back what the decision took.
    accepted.release?.();
    accepted.deflate?.extension.cleanup();
    handshake.fail(error);
    return;
  }
  // The leases go back when the connection closes, whatever happens from here on.
  if (accepted.release !== undefined) socket.once('close', accepted.release);
  handshake.accepted();
  const { gate, transport } = handshake;
  gate.track(socket);
  // After the acceptance there is no HTTP answer left to give: a handler that fails is reported, and its
  // socket closed as "internal error" (RFC 6455 §7.4.1).
  const failed = (error: unknown) => {
    handshake.report(error);
    if (socket.readyState === socket.OPEN) socket.close(1011);
  };
  try {
    const connection = {
      context: accepted.context,
      request: transport.request,
      protocol: accepted.protocol,
      route: route.path,
      transport: transport.name,
    };
    const result = route.handler(socket, connection);
    if (isPromise(result)) result.then(undefined, failed);
  } catch (error) {
    failed(error);
  }
}
