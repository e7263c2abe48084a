/**
 * The last step of an accepted handshake, once the acceptance is written: the connection is tracked and
 * its leases are given back when it closes, and the route's handler gets the socket.
 */

import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { Connection } from '../decision/hook.js';
import type { Route } from '../decision/route.js';
import { isPromise } from '../util/is-promise.js';
import { CloseCodes } from './close-codes.js';
import type { Handshake } from './pending-handshake.js';
import type { Tracked } from './tracked.js';

export function startConnection<Context>(
  handshake: Handshake,
  route: Route<Context>,
  accepted: Accept<Context>,
  socket: WebSocket,
): void {
  const { gate, transport } = handshake;
  // The leases go back when the connection closes, whatever happens from here on; a lease its store lost
  // closes the connection (1013).
  const { leases } = accepted;
  if (leases !== undefined) {
    socket.once('close', () => leases.release());
    leases.bind(socket);
  }
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
