// A partition between one gate process and Redis (issue #27): the link to Redis goes through a TCP proxy the
// test controls. Cut, it holds every byte both ways without closing anything, as a broken network path does;
// healed, it delivers what it held, in order. The gate's leases expire in Redis during the cut, another process
// takes the slots, and the renewals the gate sent during the cut run in Redis when the link heals. They must not
// put the old leases back over the limit: the leases that no longer fit are reported with their count, and their
// connections are closed with 1013 "try again later" (or, with onLeaseLost 'keep', kept and reported).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { createGate, type Gate, quotaPerKey } from '@wsgate/core';
import { createRedisStore, type RedisStore, type RedisStoreError } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import {
  closeAll,
  describeWithRedis,
  handshake,
  type RedisServer,
  redisNow,
  startRedisServer,
  tally,
} from './support.js';

/** A TCP proxy to `port` that can be cut (bytes held both ways, nothing closed) and healed (delivered). */
async function startProxy(port: number) {
  let cut = false;
  const held: Array<() => void> = [];
  const sockets = new Set<net.Socket>();
  const relay = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk) => (cut ? held.push(() => to.write(chunk)) : to.write(chunk)));
    from.on('close', () => to.destroy());
    from.on('error', () => {});
  };
  const server = net.createServer((downstream) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const socket of [downstream, upstream]) sockets.add(socket);
    relay(downstream, upstream);
    relay(upstream, downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      cut = true;
    },
    heal: () => {
      cut = false;
      for (const deliver of held.splice(0)) deliver();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const LEASE_MS = 1_000;
const LIMIT = 2;

describeWithRedis('a gate cut off from Redis past leaseMs', () => {
  let redis: RedisServer;
  let inspect: Redis;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let cutOff: Redis;
  let gate: Gate | undefined;
  let server: http.Server | undefined;
  let store: RedisStore | undefined;
  let other: RedisStore | undefined;
  let direct: Redis | undefined;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
    inspect = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  afterEach(async () => {
    proxy?.heal();
    await closeAll();
    await gate?.close({ timeout: 500 });
    server?.close();
    await store?.close();
    await other?.close({ release: true });
    direct?.disconnect();
    cutOff?.disconnect();
    proxy?.close();
  });
  afterAll(async () => {
    inspect?.disconnect();
    await redis?.stop();
  });

  async function start(onLeaseLost: 'close' | 'keep') {
    const prefix = `{partition}:${++n}:`;
    proxy = await startProxy(redis.port);
    cutOff = new Redis({ host: '127.0.0.1', port: proxy.port, enableOfflineQueue: false });
    cutOff.on('error', () => {});
    await new Promise((resolve) => cutOff.once('ready', resolve));
    const errors: RedisStoreError[] = [];
    store = createRedisStore({
      client: cutOff,
      prefix,
      leaseMs: LEASE_MS,
      renewEveryMs: 300,
      timeoutMs: 200,
      onLeaseLost,
      onError: (error) => errors.push(error),
    });
    const options = { store, name: 'user' };
    gate = createGate({ logRejections: false, onError: () => {} });
    gate.route(
      '/chat',
      {
        onUpgrade: () => ({ user: 'ada' }),
        quotas: [quotaPerKey<{ user: string }>(LIMIT, ({ context }) => context.user, options)],
      },
      (socket) => socket.send('in'),
    );
    server = http.createServer();
    gate.attach(server);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
    // Another process, with its own link to Redis, on the same key.
    direct = new Redis({ host: '127.0.0.1', port: redis.port });
    other = createRedisStore({ client: direct, prefix, leaseMs: 60_000, onError: () => {} });
    const key = `${prefix}lease:n.user:key:ada`;
    const alive = async () => inspect.zcount(key, `(${await redisNow(inspect)}`, '+inf');
    return { url, errors, key, alive };
  }

  /** Opens the limit's connections, cuts the link until their leases expired, lets another process take the slots. */
  async function partition(url: string, alive: () => Promise<number>) {
    const opened = await Promise.all(Array.from({ length: LIMIT }, () => handshake(url)));
    expect(tally(opened)).toEqual({ 101: LIMIT });
    const closes = opened.map(
      ({ socket }) => new Promise<number>((resolve) => socket?.once('close', (code) => resolve(code))),
    );
    proxy.cut();
    const heartbeats = store?.stats().heartbeats ?? 0;
    await vi.waitFor(async () => expect(await alive()).toBe(0), { timeout: 10_000, interval: 100 });
    for (let i = 0; i < LIMIT; i++) expect(await other?.acquire('n.user:key:ada', LIMIT)).toBeDefined();
    // At least one renewal of the cut-off gate is held up behind the cut (renewEveryMs 300 < leaseMs).
    await vi.waitFor(() => expect(store?.stats().heartbeats).toBeGreaterThan(heartbeats), { timeout: 5_000 });
    return { opened, closes };
  }

  it('closes the connections whose leases no longer fit with 1013, reports how many, and never exceeds the limit', async () => {
    const { url, errors, key, alive } = await start('close');
    const { opened, closes } = await partition(url, alive);
    proxy.heal();
    expect(await Promise.all(closes)).toEqual([1013, 1013]);
    const lost = errors.filter((e) => e.code === 'REDIS_LEASES_LOST');
    expect(lost.reduce((count, e) => count + e.leases.length, 0)).toBe(LIMIT);
    expect(store?.stats()).toMatchObject({ leasesLost: LIMIT, leasesHeld: 0 });
    expect(await inspect.zcard(key)).toBe(LIMIT); // the other process's two, nothing put back
    expect(opened.every(({ socket }) => socket?.readyState === socket?.CLOSED)).toBe(true);
    await vi.waitFor(() => expect(gate?.connections.size).toBe(0));
  });

  it("with onLeaseLost 'keep', keeps the connections, puts their leases back over the limit and reports how many", async () => {
    const { url, errors, key, alive } = await start('keep');
    const { opened } = await partition(url, alive);
    proxy.heal();
    await vi.waitFor(() => expect(store?.stats().leasesOverLimit).toBe(LIMIT), { timeout: 5_000 });
    const over = errors.filter((e) => e.code === 'REDIS_LEASES_OVER_LIMIT');
    expect(over.reduce((count, e) => count + e.leases.length, 0)).toBe(LIMIT);
    expect(await inspect.zcard(key)).toBe(2 * LIMIT);
    expect(opened.every(({ socket }) => socket?.readyState === socket?.OPEN)).toBe(true);
  });
});
