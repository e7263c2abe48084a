// Connection lifetime on every server kind, over real sockets with a ws client: revocation by key, expiry
// with and without refresh, heartbeat termination with its lease released, and draining. The route options
// are the contract app's (app.ts: /life, /beat), passed through each framework's own route API.
import { once } from 'node:events';
import { CloseCodes } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../abuse/raw.js';
import { type ContractServer, serverKinds } from './servers.js';

const running: ContractServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

function open(server: ContractServer, path: string, headers: Record<string, string> = {}, options = {}) {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers, ...options });
  return new Promise<WebSocket>((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`status ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

const closeOf = (socket: WebSocket) =>
  once(socket, 'close').then(([code, reason]) => [code as number, String(reason)] as const);

describe.each(serverKinds)('%s', (_kind, factory) => {
  async function start(): Promise<ContractServer> {
    const server = await factory({ trustProxy: false });
    running.push(server);
    return server;
  }

  it('revoke(key) closes only the connections that carry it, with 4001, and counts them', async () => {
    const server = await start();
    const as = (user: string, session: string) => open(server, '/life', { 'x-user': user, 'x-session': session });
    const [tab1, tab2, otherSession, otherUser] = await Promise.all([
      as('ada', 's1'),
      as('ada', 's1'),
      as('ada', 's2'),
      as('bob', 's3'),
    ]);
    const closes = Promise.all([closeOf(tab1), closeOf(tab2)]);
    expect(server.gate.revoke({ session: 's1' }, { reason: 'logged out' }).closed).toBe(2);
    expect(await closes).toEqual([
      [CloseCodes.revoked, 'logged out'],
      [CloseCodes.revoked, 'logged out'],
    ]);
    expect(otherSession.readyState).toBe(WebSocket.OPEN);
    expect(otherUser.readyState).toBe(WebSocket.OPEN);
    await eventually(() => server.app.probe.closes.length === 2);
    expect(server.app.probe.closes.map((event) => [event.cause, event.closeCode, event.route])).toEqual([
      ['revoked', 4001, '/life'],
      ['revoked', 4001, '/life'],
    ]);
    otherSession.close();
    otherUser.close();
    await eventually(() => server.app.probe.closes.length === 4);
    expect(server.app.probe.closes.slice(2).map((event) => event.cause)).toEqual(['client', 'client']);
  });

  it('expiry closes with 4002; refresh extends it as often as it answers', async () => {
    const server = await start();
    const expiring = await open(server, '/life', { 'x-expires-in': '100' });
    const refreshed = await open(server, '/life', { 'x-expires-in': '100', 'x-refreshes': '2' });
    const opened = Date.now();
    const [expired] = await closeOf(expiring);
    expect(expired).toBe(CloseCodes.expired);
    expect(refreshed.readyState).toBe(WebSocket.OPEN);
    const [alsoExpired] = await closeOf(refreshed);
    expect(alsoExpired).toBe(CloseCodes.expired);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(250); // three periods of 100 ms
    expect(server.app.probe.refreshes).toBe(4); // one refused for the first, two extensions and a refusal
    await eventually(() => server.app.probe.closes.length === 2);
    expect(server.app.probe.closes.map((event) => event.cause)).toEqual(['expired', 'expired']);
  });

  it('a peer that does not answer pings is terminated, and its lease released at once', async () => {
    const server = await start();
    const silent = await open(server, '/beat', {}, { autoPong: false });
    // The route holds one connection at a time: the lease is taken.
    await expect(open(server, '/beat')).rejects.toThrow(/status 429/);
    const [code] = await closeOf(silent);
    expect(code).toBe(1006);
    await eventually(() => server.app.probe.closes.length === 1);
    expect(server.app.probe.closes[0]).toMatchObject({ cause: 'heartbeat', closeCode: 1006, route: '/beat' });
    const next = await open(server, '/beat');
    // An answering peer outlives several sweeps.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(next.readyState).toBe(WebSocket.OPEN);
    next.close();
  });

  it('drain closes with 1012 and refuses new handshakes with 503 SHUTTING_DOWN', async () => {
    const server = await start();
    const clients = await Promise.all(Array.from({ length: 6 }, () => open(server, '/ws')));
    const codes = Promise.all(clients.map((client) => closeOf(client).then(([code]) => code)));
    const drained = server.gate.drain({ batchSize: 2, intervalMs: 20 });
    expect(server.gate.ready).toBe(false);
    await expect(open(server, '/ws')).rejects.toThrow(/status 503/);
    expect(await drained).toMatchObject({ batches: 3, closing: 6, terminated: 0, open: 0 });
    expect(new Set(await codes)).toEqual(new Set([CloseCodes.serviceRestart]));
    await eventually(() => server.app.probe.closes.length === 6);
    expect(new Set(server.app.probe.closes.map((event) => event.cause))).toEqual(new Set(['drain']));
  });
});
