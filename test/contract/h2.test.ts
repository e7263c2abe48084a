// The contract over HTTP/2 (node:http2 over TLS with HTTP/1.1 fallback) on every server kind that serves it:
// what one connection can hold of the gate, what an extended CONNECT to an ordinary route gets, and what is
// left of a client that vanished. Issue #24's findings 1-3. What an extended CONNECT gets as an HTTP/1.1 handshake
// does (the policies' refusals, the app's 401, the subprotocol chosen) is the contract table's, over every
// transport (transports.test.ts); here is what only HTTP/2 has.
import { once } from 'node:events';
import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../abuse/raw.js';
import { closeSocket, openSession, openWebSocketH2, readBody, refusedH2, requestH2 } from '../h2/client.js';
import { type Relay, startRelay } from './h2-relay.js';
import { type ContractServer, h2ServerKinds, type ServerOptions } from './servers.js';

const running: ContractServer[] = [];
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function session(origin: string, options = {}): Promise<ClientHttp2Session> {
  const opened = await openSession(origin, options);
  cleanups.push(() => opened.destroy());
  return opened;
}

/** A WebSocket over HTTP/1.1 on the same TLS port (no ALPN h2: the server falls back). */
function openWebSocketHttp1(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://localhost:${port}${path}`, { headers, rejectUnauthorized: false });
    socket.once('upgrade', (response) => resolve(response.statusCode ?? 0));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
    cleanups.push(() => socket.terminate());
  });
}

describe.each(h2ServerKinds)('%s over HTTP/2', (_kind, factory) => {
  async function start(options: Partial<ServerOptions> = {}) {
    const server = await factory({ trustProxy: false, h2: true, ...options });
    running.push(server);
    return { server, origin: `https://localhost:${server.port}` };
  }

  it('a client with a zero flow-control window holds at most its share of maxPending, and only until the deadline', async () => {
    // RFC 9113 §6.9 lets a client announce a zero window: the app's 401 body on /auth never leaves the server.
    const maxPending = 128;
    const share = maxPending / 16;
    const { server, origin } = await start({ gate: { maxPending, handshakeTimeout: 1_000 } });
    const attacker = await session(origin, { settings: { initialWindowSize: 0 } });
    const statuses = await Promise.all(
      Array.from({ length: maxPending + 32 }, () =>
        requestH2(attacker, '/auth').response.then((headers) => Number(headers[':status'])),
      ),
    );
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
    expect(server.gate.pending).toBeLessThanOrEqual(share);

    // Everyone else still gets in, over HTTP/2 and HTTP/1.1 alike, before the attacker's deadline passed.
    const opened = await openWebSocketH2(origin, '/auth', { headers: { 'x-user': 'ada' } });
    cleanups.push(() => opened.session.destroy());
    expect(opened.status).toBe(200);
    expect(await openWebSocketHttp1(server.port, '/auth', { 'x-user': 'ada' })).toBe(101);

    // Once the attacker's handshakes are past their deadline, their slots are back: the streams were reset.
    await eventually(() => server.gate.pending === 0, 5_000, 'no handshake pending');
    await closeSocket(opened.socket);
  });

  it('an extended CONNECT to an ordinary route or to no route: 404, never a 2xx (RFC 8441 §5)', async () => {
    const { origin } = await start();
    for (const path of ['/health', '/nope']) {
      const { status, headers } = await refusedH2(origin, path);
      expect([path, status]).toEqual([path, 404]);
      expect(headers['sec-websocket-protocol']).toBeUndefined();
    }
    // The ordinary request is served as before.
    const page = await session(origin);
    const stream = page.request({ ':path': '/health' });
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    expect([headers[':status'], await readBody(stream)]).toEqual([200, 'ok']);
  });

  it('clients that vanish (no FIN, no reset) keep no session and no quota lease: their sessions are pinged out', async () => {
    const { server, origin } = await start({ gate: { http2PingInterval: 100 } });
    const sessions = server.sessions as ReadonlySet<unknown>;
    const relay: Relay = await startRelay(server.port);
    cleanups.push(() => relay.close());
    const viaRelay = `https://localhost:${relay.port}`;
    const authority = { ':authority': `localhost:${server.port}` };
    // Refused ones, then one whose WebSocket opened and took the quota's only lease for its key.
    for (let i = 0; i < 5; i++) {
      const client = await session(viaRelay);
      const { response } = requestH2(client, '/auth', { headers: authority });
      expect((await response)[':status']).toBe(401);
      relay.blackHole(client.socket.localPort as number);
    }
    const holder = await session(viaRelay);
    const { response } = requestH2(holder, '/quota', { headers: { ...authority, 'x-quota-key': 'ada' } });
    expect((await response)[':status']).toBe(200);
    // While its client answers, the lease is held: the same key is refused.
    const probe = await session(origin);
    const refused = await requestH2(probe, '/quota', { headers: { 'x-quota-key': 'ada' } }).response;
    expect([refused[':status'], refused['wsgate-code']]).toEqual([429, 'QUOTA_EXCEEDED']);
    probe.destroy();
    relay.blackHole(holder.socket.localPort as number);

    await eventually(() => sessions.size === 0 && server.gate.connections.size === 0, 5_000, 'sessions gone');
    const next = await openWebSocketH2(origin, '/quota', { headers: { 'x-quota-key': 'ada' } });
    cleanups.push(() => next.session.destroy());
    expect(next.status).toBe(200);
    await closeSocket(next.socket);
  });
});
