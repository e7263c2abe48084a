/**
 * An in-memory connection for port-free clients (`@wsgate/testing`, Fastify's `injectWebSocket`): the
 * server side is handed to a server as a new connection, so the bytes go through Node's HTTP parser, the
 * gate and the app exactly as over TCP.
 */

import { type Duplex, duplexPair } from 'node:stream';

/**
 * `duplexPair()`, plus what a TCP connection does when one end goes away: the other end reads what was
 * already sent, then sees the end of the stream and is closed. `duplexPair` alone leaves the other end
 * open forever, so a client that aborts a handshake would never be noticed by the server (and a server's
 * close would wait its whole timeout for it).
 */
export function socketPair(): [client: Duplex, server: Duplex] {
  const [client, server] = duplexPair();
  hangUpWhenClosed(client, server);
  hangUpWhenClosed(server, client);
  return [client, server];
}

function hangUpWhenClosed(side: Duplex, peer: Duplex): void {
  side.once('close', () => {
    if (peer.destroyed) return;
    if (peer.readableEnded) {
      peer.destroy();
      return;
    }
    peer.once('end', () => peer.destroy());
    peer.push(null);
  });
}
