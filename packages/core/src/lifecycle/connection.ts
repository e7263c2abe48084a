/**
 * The last step of an accepted handshake: the transport writes the acceptance, the connection is tracked
 * and its leases are given back when it closes, and the route's handler gets the socket.
 */

import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { Connection } from '../decision/hook.js';
import type { Route } from '../decision/route.js';
import { isPromise } from '../util/is-promise.js';
import type { Handshake } from './pending-handshake.js';

export function startConnection<Context>(handshake: Handshake, route: Route<Context>, accepted: Accept<Context>): void {
  const { gate, transport } = handshake;
  let socket: WebSocket;
  try {
    socket = transport.accept(accepted as Accept, route as Route<unknown>, handshake.site);
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
  gate.track(socket);
  const { events } = gate;
  if (events.observesCloses || gate.telemetry?.tracks(transport.request)) publishClose(handshake, socket, route.path);
  const connection: Connection<Context> = {
    context: accepted.context,
    request: transport.request,
    protocol: accepted.protocol,
    route: route.path,
    transport: transport.name,
  };
  try {
    const result = route.handler(socket, connection);
    if (isPromise(result)) result.then(undefined, (error: unknown) => handlerFailed(handshake, socket, error));
  } catch (error) {
    handlerFailed(handshake, socket, error);
  }
}

/**
 * After the acceptance there is no HTTP answer left to give: a handler that fails is reported, and its
 * socket closed as "internal error" (RFC 6455 §7.4.1).
 */
function handlerFailed(handshake: Handshake, socket: WebSocket, error: unknown): void {
  handshake.report(error);
  if (socket.readyState === socket.OPEN) socket.close(1011);
}

/**
 * The connection's close, to `onEvent`, diagnostics_channel and telemetry. The cause is told apart only as
 * far as the socket shows it: the gate shutting down, a close without a close frame (1006) or after a
 * failure (1011), else the client's.
 */
function publishClose(handshake: Handshake, socket: WebSocket, route: string): void {
  const { gate, transport } = handshake;
  const opened = performance.now();
  socket.once('close', (closeCode: number) => {
    const cause = gate.closing ? 'shutdown' : closeCode === 1006 || closeCode === 1011 ? 'error' : 'client';
    gate.events.publishClose({
      outcome: 'close',
      cause,
      closeCode,
      route,
      transport: transport.name,
      durationMs: performance.now() - opened,
      request: transport.request,
    });
  });
}
