/**
 * The client sockets the kit hands out: `ws` WebSockets that also close themselves at the end of a
 * `using` block, and the one way the kit closes a socket (politely, then for good).
 */

import WebSocket from 'ws';

/** A `ws` client; `await using socket = await connect(...)` closes it at the end of the block. */
export type TestSocket = WebSocket & AsyncDisposable;

export function asTestSocket(socket: WebSocket): TestSocket {
  if (!(Symbol.asyncDispose in socket)) {
    Object.defineProperty(socket, Symbol.asyncDispose, { value: () => closeSocket(socket) });
  }
  return socket as TestSocket;
}

const CLOSE_GRACE_MS = 1_000;

/**
 * Closes `socket` and resolves once it is closed: a closing handshake (1000) when it is open, an abort when
 * it is still connecting, and `terminate()` if the server does not finish the close in time.
 */
export function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    // Aborting, or a server that does not answer the close, ends in an 'error' that is nobody's business now.
    socket.on('error', ignore);
    const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.CONNECTING) {
      socket.terminate();
    } else if (socket.readyState === WebSocket.OPEN) {
      socket.resume(); // the server's close frame must be read for the closing handshake to finish
      socket.close(1000);
    }
  });
}

function ignore(): void {}
