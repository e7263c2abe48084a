// Connection lifetime over real sockets: revocation by key, expiry and refresh, heartbeats, draining,
// and the close event every connection ends with.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CloseCodes,
  type ConnectionCloseEvent,
  type GateEvent,
  MemoryLeaseStore,
  quotaPerKey,
  type RevocationChannel,
  type RevocationMessage,
} from '../../src/index.js';
import { closeServers, eventually, handshakeRequest, rawExchange, startServer } from '../helpers.js';

afterEach(closeServers);

interface Who {
  user: string;
  session: string;
}

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closeOf(socket: WebSocket): Promise<[number, string]> {
  return once(socket, 'close').then(([code, reason]) => [code as number, String(reason)]);
}

const who = (url: string | undefined): Who => {
  const query = new URLSearchParams((url ?? '').split('?')[1]);
  return { user: query.get('user') ?? '', session: query.get('session') ?? '' };
};

describe('revocation by key', () => {
  it('closes only the connections that carry the key, with 4001 and the reason, and counts them', async () => {
    const events: GateEvent[] = [];
    const { gate, port } = await startServer(
      (g) =>
        g.route<Who>(
          '/ws',
          { onUpgrade: (u) => who(u.request.url), keys: (c) => ({ user: c.user, session: c.session }) },
          () => {},
        ),
      { onEvent: (event) => events.push(event) },
    );
    const url = (user: string, session: string) => `ws://127.0.0.1:${port}/ws?user=${user}&session=${session}`;
    const [a1, a2, a3, b1] = await Promise.all([
      open(url('ada', 's1')),
      open(url('ada', 's1')),
      open(url('ada', 's2')),
      open(url('bob', 's3')),
    ]);
    const closes = [closeOf(a1), closeOf(a2)];
    const revocation = gate.revoke({ session: 's1' }, { reason: 'you logged out in another tab' });
    expect(revocation.closed).toBe(2);
    await revocation.published;
    expect(await Promise.all(closes)).toEqual([
      [4001, 'you logged out in another tab'],
      [4001, 'you logged out in another tab'],
    ]);
    expect(a3.readyState).toBe(WebSocket.OPEN);
    expect(b1.readyState).toBe(WebSocket.OPEN);
    // A string key is the same key; an unknown one closes nothing.
    expect(gate.revoke('session:nobody').closed).toBe(0);
    const c3 = closeOf(a3);
    expect(gate.revoke('user:ada', { code: 4100 }).closed).toBe(1);
    expect((await c3)[0]).toBe(4100);
    expect(b1.readyState).toBe(WebSocket.OPEN);
    await eventually(() => events.filter((e) => e.outcome === 'close').length === 3);
    const close = events.find((e) => e.outcome === 'close') as ConnectionCloseEvent;
    expect(close).toMatchObject({ cause: 'revoked', closeCode: 4001, route: '/ws', transport: 'http/1.1' });
    expect(close.durationMs).toBeGreaterThanOrEqual(0);
    expect(gate.connections.size).toBe(1);
    b1.close();
  });

  it('bad arguments are TypeErrors at the call', async () => {
    const { gate } = await startServer((g) => g.route('/ws', {}, () => {}));
    expect(() => gate.revoke('')).toThrow(TypeError);
    expect(() => gate.revoke('user:x', { code: 1006 })).toThrow(/close code/);
    expect(() => gate.revoke('user:x', { reason: 'x'.repeat(124) })).toThrow(/123/);
  });

  it('a channel carries the revocation to the other gates, which skip their own', async () => {
    const subscribers = new Set<(message: RevocationMessage) => void>();
    const channel: RevocationChannel = {
      async publish(message) {
        for (const deliver of subscribers) deliver(JSON.parse(JSON.stringify(message)));
      },
      subscribe(onMessage) {
        subscribers.add(onMessage);
        return () => subscribers.delete(onMessage);
      },
    };
    const route = (g: import('../../src/index.js').Gate) =>
      g.route<Who>('/ws', { onUpgrade: (u) => who(u.request.url), keys: (c) => [`user:${c.user}`] }, () => {});
    const one = await startServer(route, { revocationChannel: channel });
    const two = await startServer(route, { revocationChannel: channel });
    const [x, y] = await Promise.all([
      open(`ws://127.0.0.1:${one.port}/ws?user=ada`),
      open(`ws://127.0.0.1:${two.port}/ws?user=ada`),
    ]);
    const closes = Promise.all([closeOf(x), closeOf(y)]);
    const revocation = one.gate.revoke('user:ada');
    expect(revocation.closed).toBe(1);
    await revocation.published;
    expect((await closes).map(([code]) => code)).toEqual([4001, 4001]);
    // A gate that closed stops listening.
    await two.close();
    expect(subscribers.size).toBe(1);
  });
});

describe('the close event', () => {
  it('tells client closes and handler failures apart, on onEvent and diagnostics_channel', async () => {
    const published: ConnectionCloseEvent[] = [];
    const listener = (event: unknown) => published.push(event as ConnectionCloseEvent);
    subscribe('wsgate:connection:close', listener);
    try {
      const { port } = await startServer(
        (g) => {
          g.route('/ws', {}, () => {});
          g.route('/fail', {}, () => {
            throw new Error('handler bug');
          });
        },
        { onError: () => {} },
      );
      const client = await open(`ws://127.0.0.1:${port}/ws`);
      client.close(1000);
      await eventually(() => published.length === 1);
      expect(published[0]).toMatchObject({ outcome: 'close', cause: 'client', closeCode: 1000, route: '/ws' });
      const failing = await open(`ws://127.0.0.1:${port}/fail`);
      expect((await closeOf(failing))[0]).toBe(1011);
      await eventually(() => published.length === 2);
      expect(published[1]).toMatchObject({ cause: 'error', closeCode: 1011, route: '/fail' });
    } finally {
      unsubscribe('wsgate:connection:close', listener);
    }
  });

  it('is not made for a connection that opened while nobody observed closes, which keeps no request for one', async () => {
    const published: ConnectionCloseEvent[] = [];
    const listener = (event: unknown) => published.push(event as ConnectionCloseEvent);
    const { port } = await startServer((g) => g.route('/ws', {}, () => {}));
    const unobserved = await open(`ws://127.0.0.1:${port}/ws?n=1`);
    subscribe('wsgate:connection:close', listener);
    try {
      const observed = await open(`ws://127.0.0.1:${port}/ws?n=2`);
      unobserved.close(1000);
      observed.close(1000);
      await eventually(() => published.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the other close has had its time
      expect(published.map((event) => event.request?.url)).toEqual(['/ws?n=2']);
    } finally {
      unsubscribe('wsgate:connection:close', listener);
    }
  });
});

describe('expiry', () => {
  it('closes with 4002 when the expiry passes', async () => {
    const events: GateEvent[] = [];
    const { port } = await startServer((g) => g.route('/ws', { expiresAt: () => Date.now() + 150 }, () => {}), {
      onEvent: (e) => events.push(e),
    });
    const client = await open(`ws://127.0.0.1:${port}/ws`);
    expect(await closeOf(client)).toEqual([CloseCodes.expired, 'expired']);
    await eventually(() => events.some((e) => e.outcome === 'close'));
    expect(events.find((e) => e.outcome === 'close')).toMatchObject({ cause: 'expired', closeCode: 4002 });
  });

  it('an async refresh extends it; a rejected one, or one past its grace, ends it', async () => {
    let refreshes = 0;
    const { port } = await startServer((g) => {
      g.route(
        '/renewed',
        {
          expiresAt: () => Date.now() + 100,
          refresh: async () => {
            refreshes++;
            return refreshes < 3 ? Date.now() + 100 : undefined;
          },
        },
        () => {},
      );
      g.route(
        '/refused',
        { expiresAt: () => Date.now() + 50, refresh: () => Promise.reject(new Error('no')) },
        () => {},
      );
      g.route(
        '/slow',
        { expiresAt: () => Date.now() + 50, refreshGrace: 100, refresh: () => new Promise<number>(() => {}) },
        () => {},
      );
    });
    const started = Date.now();
    const renewed = await open(`ws://127.0.0.1:${port}/renewed`);
    const refused = await open(`ws://127.0.0.1:${port}/refused`);
    const slow = await open(`ws://127.0.0.1:${port}/slow`);
    const [renewedClose, refusedClose, slowClose] = await Promise.all([
      closeOf(renewed),
      closeOf(refused),
      closeOf(slow),
    ]);
    expect(refreshes).toBe(3);
    expect(renewedClose[0]).toBe(4002);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // three expiries of 100 ms, the first two extended
    expect(refusedClose[0]).toBe(4002);
    expect(slowClose[0]).toBe(4002);
  });
});

describe('heartbeats', () => {
  it('terminates a peer that does not answer pings and releases its lease at once', async () => {
    const store = new MemoryLeaseStore();
    const events: GateEvent[] = [];
    const { port } = await startServer(
      (g) =>
        g.route(
          '/ws',
          { heartbeat: { interval: 200, timeout: 100 }, quotas: [quotaPerKey(1, () => 'k', { store })] },
          () => {},
        ),
      { onEvent: (e) => events.push(e) },
    );
    const alive = await open(`ws://127.0.0.1:${port}/ws`);
    // The quota (one per key) is full while the connection is open.
    await expect(open(`ws://127.0.0.1:${port}/ws`)).rejects.toThrow(/429/);
    alive.close();
    await eventually(() => events.some((e) => e.outcome === 'close'));
    const answering = await open(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve) => setTimeout(resolve, 450)); // two sweeps: it answers, it stays
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
    await eventually(() => events.filter((e) => e.outcome === 'close').length === 2);
    const silent = await open(`ws://127.0.0.1:${port}/ws`, { autoPong: false });
    const [code] = await closeOf(silent);
    expect(code).toBe(1006);
    await eventually(() => events.filter((e) => e.outcome === 'close').length === 3);
    expect(events.at(-1)).toMatchObject({ outcome: 'close', cause: 'heartbeat', closeCode: 1006 });
    // Its lease went back with it: the next connection is admitted.
    const next = await open(`ws://127.0.0.1:${port}/ws`);
    next.close();
  });

  it('a heartbeat whose timeout is not below its interval is a TypeError naming it', async () => {
    await expect(
      startServer((g) => g.route('/ws', { heartbeat: { interval: 100, timeout: 100 } }, () => {})),
    ).rejects.toThrow(/heartbeat.timeout/);
  });
});

describe('draining', () => {
  it('2,000 connections close in the configured batches with 1012, and no handshake is accepted meanwhile', async () => {
    const { gate, port } = await startServer((g) => g.route('/ws', { heartbeat: false }, () => {}));
    const clients: WebSocket[] = [];
    for (let i = 0; i < 2000; i += 200) {
      clients.push(...(await Promise.all(Array.from({ length: 200 }, () => open(`ws://127.0.0.1:${port}/ws`)))));
    }
    expect(gate.connections.size).toBe(2000);
    const codes = clients.map((client) => closeOf(client).then(([code]) => code));
    const progress: import('../../src/index.js').DrainProgress[] = [];
    const drained = gate.drain({
      batchSize: 500,
      intervalMs: 50,
      deadlineMs: 10_000,
      onProgress: (p) => progress.push(p),
    });
    expect(gate.ready).toBe(false);
    expect(gate.draining).toBe(true);
    const refused = await rawExchange(port, handshakeRequest(port));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.headers['wsgate-code']).toBe('SHUTTING_DOWN');
    const result = await drained;
    expect(new Set(await Promise.all(codes))).toEqual(new Set([CloseCodes.serviceRestart]));
    expect(progress.filter((p) => !p.done).map((p) => p.closing)).toEqual([500, 1000, 1500, 2000]);
    expect(result).toMatchObject({ batches: 4, closing: 2000, open: 0, terminated: 0, done: true });
    expect(gate.connections.size).toBe(0);
  }, 60_000);

  it('terminates what is left at the deadline', async () => {
    const { gate, port } = await startServer((g) => g.route('/ws', {}, () => {}));
    const clients = await Promise.all([1, 2, 3].map(() => open(`ws://127.0.0.1:${port}/ws`)));
    const result = await gate.drain({ batchSize: 1, intervalMs: 5_000, deadlineMs: 100 });
    expect(result).toMatchObject({ batches: 1, closing: 1, terminated: 2, open: 0 });
    for (const client of clients) await eventually(() => client.readyState === WebSocket.CLOSED);
  });
});
