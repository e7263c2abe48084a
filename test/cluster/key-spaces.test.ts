// One store serves every limit, and each limit keeps its own counts (issue #27): two routes' rateLimitPerIp, a
// short and a long window on one route, a per-user and a per-room quotaPerKey. The same object on two routes is
// one limit, and so are limits with the same `name`. The same table runs on one shared in-memory store pair and
// on one Redis store: the answers are the same.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGate,
  type Gate,
  type LeaseStore,
  MemoryLeaseStore,
  MemoryRateStore,
  quotaPerKey,
  type RateStore,
  type RouteOptions,
  rateLimitPerIp,
} from '@wsgate/core';
import { createRedisStore, type RedisStore } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, describeWithRedis, handshake, type RedisServer, sleep, startRedisServer, tally } from './support.js';

interface Stores {
  lease: LeaseStore;
  rate: RateStore;
}

interface Context {
  user: string;
  room: string;
}

const onUpgrade: RouteOptions<Context>['onUpgrade'] = (upgrade) => {
  const query = new URL(upgrade.request.url ?? '/', 'http://x').searchParams;
  return { user: query.get('user') ?? '', room: query.get('room') ?? '' };
};
const byUser = ({ context }: { context: Context }) => context.user;
const byRoom = ({ context }: { context: Context }) => context.room;

let gate: Gate | undefined;
let server: http.Server | undefined;

async function serve(routes: Record<string, RouteOptions<Context>>): Promise<(path: string) => string> {
  gate = createGate({ logRejections: false });
  for (const [path, options] of Object.entries(routes))
    gate.route<Context>(path, { onUpgrade, ...options }, (socket) => socket.send('in'));
  server = http.createServer();
  gate.attach(server);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return (path) => `ws://127.0.0.1:${port}${path}`;
}

async function attempts(url: string, count: number): Promise<Record<number, number>> {
  const outcomes = [];
  for (let i = 0; i < count; i++) outcomes.push(await handshake(url));
  return tally(outcomes);
}

function keySpaces(kind: string, stores: () => Stores) {
  afterEach(async () => {
    await closeAll();
    await gate?.close({ timeout: 500 });
    server?.close();
  });

  it(`${kind}: two routes' rateLimitPerIp count apart`, async () => {
    const { rate: store } = stores();
    const url = await serve({
      '/a': { rateLimits: [rateLimitPerIp(2, { per: '1m', store })] },
      '/b': { rateLimits: [rateLimitPerIp(100, { per: '1m', store })] },
    });
    expect(await attempts(url('/b'), 5)).toEqual({ 101: 5 });
    expect(await attempts(url('/a'), 3)).toEqual({ 101: 2, 429: 1 });
  });

  it(`${kind}: a short and a long window on one route each keep their own attempts`, async () => {
    const { rate: store } = stores();
    const url = await serve({
      '/r': { rateLimits: [rateLimitPerIp(2, { per: '300ms', store }), rateLimitPerIp(3, { per: '1m', store })] },
    });
    expect(await attempts(url('/r'), 3)).toEqual({ 101: 2, 429: 1 });
    await sleep(350); // the short window empties; the long one still holds 2 of 3
    expect(await attempts(url('/r'), 2)).toEqual({ 101: 1, 429: 1 });
  });

  it(`${kind}: a per-user and a per-room quotaPerKey never share a key`, async () => {
    const { lease: store } = stores();
    const url = await serve({
      '/chat': { quotas: [quotaPerKey(1, byUser, { store }), quotaPerKey(1, byRoom, { store })] },
    });
    expect((await handshake(url('/chat?user=alice&room=lobby'))).status).toBe(101);
    // A room named "alice" is not user alice.
    expect((await handshake(url('/chat?user=bob&room=alice'))).status).toBe(101);
    expect((await handshake(url('/chat?user=alice&room=den'))).status).toBe(429);
  });

  it(`${kind}: one quota object on two routes is one limit, two calls are two, one name is one`, async () => {
    const { lease: store } = stores();
    const shared = quotaPerKey(1, byUser, { store });
    const url = await serve({
      '/a': { quotas: [shared] },
      '/b': { quotas: [shared] },
      '/c': { quotas: [quotaPerKey(1, byUser, { store })] },
      '/d': { quotas: [quotaPerKey(1, byUser, { store })] },
      '/e': { quotas: [quotaPerKey(1, byUser, { store, name: 'users' })] },
      '/f': { quotas: [quotaPerKey(1, byRoom, { store, name: 'users' })] },
    });
    expect((await handshake(url('/a?user=ann'))).status).toBe(101);
    expect((await handshake(url('/b?user=ann'))).status).toBe(429);
    expect((await handshake(url('/c?user=ann'))).status).toBe(101);
    expect((await handshake(url('/d?user=ann'))).status).toBe(101);
    expect((await handshake(url('/e?user=ann'))).status).toBe(101);
    expect((await handshake(url('/f?room=ann'))).status).toBe(429);
  });
}

describe('limits in one shared in-memory store', () => {
  keySpaces('memory', () => ({ lease: new MemoryLeaseStore(), rate: new MemoryRateStore() }));
});

describeWithRedis('limits in one Redis store', () => {
  let redis: RedisServer;
  let client: Redis;
  let store: RedisStore;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis({ host: '127.0.0.1', port: redis.port, enableOfflineQueue: false });
    await new Promise((resolve) => client.once('ready', resolve));
  });
  afterAll(async () => {
    await store?.close({ release: true });
    client?.disconnect();
    await redis?.stop();
  });
  keySpaces('redis', () => {
    store = createRedisStore({ client, prefix: `{spaces}:${++n}:` });
    return { lease: store, rate: store };
  });
});
