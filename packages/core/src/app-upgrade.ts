/**
 * For adapters: an upgrade request run through a framework's ordinary request handler, so that the app's
 * own middleware answers before any 101. The framework gets a ServerResponse written straight onto the
 * upgrade's socket:
 *
 *   - if the app answers (a 401 from auth, its error handler, its 404), that response goes out, and the
 *     connection ends once it is flushed (an upgrade request's connection is never reused);
 *   - if the request reaches a WebSocket route, the route `take`s the socket back from the response and
 *     the core finishes the handshake (`handshake.accept`).
 */

import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Gate, Handshake } from './gate.js';
import { closeAfterFlush } from './http/response.js';

export interface AppUpgrade {
  readonly handshake: Handshake;
  /** The framework's response, over the upgrade's socket until a route takes it. */
  readonly response: ServerResponse;
  /**
   * Called by the WebSocket route: detaches the socket from the framework's response, so that nothing the
   * framework writes afterwards reaches it. False when there is nothing left to take: the client went away,
   * the deadline passed, or the app has already started its own response.
   */
  take(): boolean;
}

const upgrades = new WeakMap<IncomingMessage, AppUpgrade>();

/** The upgrade in flight for a request that came through `openAppUpgrade`, if any. */
export function appUpgradeOf(request: IncomingMessage): AppUpgrade | undefined {
  return upgrades.get(request);
}

/**
 * `gate.open` with a framework response over the socket. Returns undefined when the core refused the
 * request (already answered): the framework must not see it. Then call the framework's request handler
 * with `(request, upgrade.response)`.
 */
export function openAppUpgrade(
  gate: Gate,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): AppUpgrade | undefined {
  const response = new ServerResponse(request);
  response.shouldKeepAlive = false;
  try {
    response.assignSocket(socket as Socket);
  } catch {
    socket.destroy(); // another response still owns this socket (a pipelined request): nothing sane to do
    return undefined;
  }
  const handshake = gate.open(request, socket, head, response);
  if (handshake === undefined) {
    response.detachSocket(socket as Socket);
    return undefined;
  }
  let taken = false;
  const upgrade: AppUpgrade = {
    handshake,
    response,
    take() {
      if (taken || !handshake.pending || response.headersSent) return false;
      taken = true;
      if (response.socket === socket) response.detachSocket(socket as Socket);
      return true;
    },
  };
  upgrades.set(request, upgrade);
  response.once('finish', () => {
    if (!taken) closeAfterFlush(socket);
  });
  return upgrade;
}
