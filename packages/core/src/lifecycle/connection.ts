/**
 * The last step of an accepted handshake: the transport writes the acceptance, the connection is tracked
 * and its leases are given back when it closes, and the route's handler gets the socket.
 */

import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { Connection } from '../decision/hook.js';
import type { Route } from '../decision/route.js';
import { isPromise } from '../util/is-promise.js';
import { CloseCodes } from './close-codes.js';
import type { Handshake } from './pending-handshake.js';
import type { Tracked } from './tracked.js';

export function startConnection<Context>(handshake: Handshake, route: Route<Context>, accepted: Accept<Context>): void {
  const { gate, transport } = handshake;
  let socket: WebSocket;
  try {
    socket = transport.accept(accepted as Accept);
  } catch (error) {
    // Nothing was written (a header the hook set was refused): give back what the decision took.
    accepted.leases?.release();
    accepted.deflate?.extension.cleanup();
    handshake.fail(error);
    return;
  }
  // The leases go back when the connection closes, whatever happens from here on; a lease its store lost
  // closes the connection (1013).
  const { leases } = accepted;
  if (leases !== undefined) {
    socket.once('close', () => leases.release());
    leases.bind(socket);
  }
  handshake.accepted();
  const entry = gate.registry.open(
    socket,
    route as Route<unknown>,
    transport.name,
    transport.request,
    accepted.context,
  );
  const connection: Connection<Context> = {
    context: accepted.context,
    request: transport.request,
    protocol: accepted.protocol,
    route: route.path,
    transport: transport.name,
  };
  try {
    const result = route.handler(socket, connection);
    if (isPromise(result)) result.then(undefined, (error: unknown) => handlerFailed(handshake, entry, error));
  } catch (error) {
    handlerFailed(handshake, entry, error);
  }
}

/**
 * After the acceptance there is no HTTP answer left to give: a handler that fails is reported, and its
 * socket closed as "internal error" (RFC 6455 §7.4.1).
 */
function handlerFailed(handshake: Handshake, entry: Tracked, error: unknown): void {
  handshake.report(error);
  handshake.gate.registry.end(entry, 'error', CloseCodes.internalError, '');
}
