/**
 * What the kit opened, so that it can all be closed at the end of a test without a test-runner global.
 * The kit's own registry (`opened`) holds every connection and socket; a TestClient has one of its own.
 */

import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { closeSocket } from './socket.js';

export class SocketRegistry {
  readonly #sockets = new Set<WebSocket>();
  readonly #connections = new Set<Duplex>();

  /** A WebSocket, closed politely by `close()`. */
  add(socket: WebSocket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** A connection (in memory or TCP), destroyed by `close()` if still open once the sockets are closed. */
  addConnection(connection: Duplex): void {
    this.#connections.add(connection);
    connection.once('close', () => this.#connections.delete(connection));
  }

  /** Connections still open. */
  get openConnections(): number {
    return this.#connections.size;
  }

  /** Closes the WebSockets (closing handshake), then destroys what is left; resolves once all are closed. */
  async close(): Promise<void> {
    await Promise.all([...this.#sockets].map(closeSocket));
    await Promise.all([...this.#connections].map(destroyed));
  }
}

function destroyed(connection: Duplex): Promise<void> {
  if (connection.closed) return Promise.resolve();
  return new Promise((resolve) => {
    connection.once('close', () => resolve());
    connection.destroy();
  });
}

/** Every connection and socket the kit opened, whichever client opened it. */
export const opened = new SocketRegistry();
