/**
 * An in-memory connection for port-free clients (`@wsgate/testing`): the server side is handed to a server
 * as a new connection, so the bytes go through Node's HTTP parser, the gate and the app exactly as over TCP.
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
  claimLoopbackPeer(server);
  return [client, server];
}

/** Ephemeral ports (RFC 6335 §6), handed out in turn so that two in-memory clients differ as two TCP ones do. */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 16384;
let nextPort = 0;

/**
 * The server side claims a loopback client, as a real connection from the same machine has (what supertest's
 * clients have): `req.ip`, `ctx.ip` and `request.ip` read `socket.remoteAddress`, and rate limiters keyed on
 * them (express-rate-limit, koa-ratelimit, @fastify/rate-limit) fail on undefined. Configurable, so that a
 * caller may claim another address. No local address: the default Host policy reads one as a loopback
 * listener's, which serves loopback names only.
 */
function claimLoopbackPeer(server: Duplex): void {
  const port = EPHEMERAL_FIRST + (nextPort++ % EPHEMERAL_COUNT);
  for (const [key, value] of [
    ['remoteAddress', '127.0.0.1'],
    ['remoteFamily', 'IPv4'],
    ['remotePort', port],
  ] as const) {
    Object.defineProperty(server, key, { value, enumerable: true, configurable: true });
  }
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
