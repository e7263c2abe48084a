// Redis stopped in the middle of a run, then started again (empty, as a Redis without persistence comes back):
// fail-open quotas and rate limits admit (101), fail-closed ones refuse (503 STORE_UNAVAILABLE), onError and
// onEvent are told, nothing crashes or rejects unhandled, and everything counts again once Redis is back — the
// leases of connections that stayed open included. Once with a client that fails at once while disconnected,
// once with one that queues commands (the gate's storeTimeout answers then).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGate,
  type HandshakeEvent,
  quotaPerKey,
  rateLimitPerKey,
  type Upgrade,
  type UpgradeRequest,
} from '@wsgate/core';
import { createRedisStore, type RedisStore } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeAll, describeWithRedis, handshake, type RedisServer, startRedisServer, tally } from './support.js';

const ROUTES = ['/quota-open', '/quota-closed', '/rate-open', '/rate-closed'] as const;
const user = ({ context }: { context: { user: string } }) => context.user;
const userOf = (request: UpgradeRequest) => new URL(request.url ?? '/', 'http://x').searchParams.get('user') ?? 'anon';

describeWithRedis('Redis stopped mid-run', () => {
  let redis: RedisServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    redis = await startRedisServer();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await redis?.stop();
  });

  describe.each([
    { name: 'a client that fails at once', offlineQueue: false, expected: 'REDIS_UNAVAILABLE' },
    { name: 'a client that queues commands', offlineQueue: true, expected: 'STORE_TIMEOUT' },
  ])('with $name', ({ offlineQueue, expected }) => {
    let client: Redis;
    let store: RedisStore;
    let gate: ReturnType<typeof createGate>;
    let server: http.Server;
    let url: (path: string, who?: string) => string;
    const errors: Array<{ code?: string }> = [];
    const storeErrors: Array<{ code: string }> = [];
    const events: HandshakeEvent[] = [];
    beforeAll(async () => {
      client = new Redis({
        host: '127.0.0.1',
        port: redis.port,
        enableOfflineQueue: offlineQueue,
        retryStrategy: () => 50,
      });
      client.on('error', () => {});
      await once(client, 'ready');
      const prefix = `outage:${offlineQueue}:`;
      store = createRedisStore({
        client,
        prefix,
        leaseMs: 10_000,
        renewEveryMs: 3_000,
        onError: (e) => storeErrors.push(e),
      });
      gate = createGate({
        logRejections: false,
        onError: (e) => errors.push(e as never),
        onEvent: (e) => e.outcome !== 'close' && events.push(e),
      });
      const on = { store, storeTimeout: 300 };
      const hook = (upgrade: Upgrade) => ({ user: userOf(upgrade.request) });
      const route = (path: string, options: object) =>
        gate.route(path, { onUpgrade: hook, ...options }, (socket) => socket.send('hi'));
      route('/quota-open', { quotas: [quotaPerKey(2, user, { ...on, onStoreError: 'fail-open' })] });
      route('/quota-closed', { quotas: [quotaPerKey(2, user, on)] });
      route('/rate-open', {
        rateLimits: [
          rateLimitPerKey(100, ({ request }) => userOf(request), {
            ...on,
            onStoreError: 'fail-open',
          }),
        ],
      });
      route('/rate-closed', {
        rateLimits: [rateLimitPerKey(100, ({ request }) => userOf(request), on)],
      });
      server = http.createServer();
      gate.attach(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as AddressInfo).port;
      url = (path, who = 'ada') => `ws://127.0.0.1:${port}${path}?user=${who}`;
    });
    afterEach(async () => {
      await redis.start(); // whatever failed, Redis is back for what follows
    });
    afterAll(async () => {
      await closeAll();
      await gate?.close({ timeout: 500 });
      server?.close();
      await store?.close();
      client?.disconnect();
    });

    it('admits fail-open, refuses fail-closed with 503, tells onError and onEvent, and recovers', async () => {
      const before = await Promise.all(ROUTES.map((path) => handshake(url(path))));
      expect(before.map((o) => o.status)).toEqual([101, 101, 101, 101]);

      await redis.stop();
      events.length = 0;
      const during = await Promise.all(ROUTES.map((path) => handshake(url(path, 'bo'))));
      expect(during.map((o) => [o.status, o.code])).toEqual([
        [101, undefined],
        [503, 'STORE_UNAVAILABLE'],
        [101, undefined],
        [503, 'STORE_UNAVAILABLE'],
      ]);
      expect(during[1]?.retryAfter).toBeDefined();
      expect(errors.map((e) => e.code)).toEqual([expected, expected, expected, expected]);
      expect(events.filter((e) => e.outcome === 'reject').map((e) => [e.route, e.code])).toEqual(
        expect.arrayContaining([
          ['/quota-closed', 'STORE_UNAVAILABLE'],
          ['/rate-closed', 'STORE_UNAVAILABLE'],
        ]),
      );
      // A connection that closes during the outage: its release cannot reach Redis; the store says so.
      const closing = before[0]?.socket;
      closing?.close();
      await once(closing as never, 'close');
      await vi.waitFor(() =>
        expect(storeErrors.some((e) => e.code === 'REDIS_UNAVAILABLE' || e.code === 'REDIS_TIMEOUT')).toBe(true),
      );

      await redis.start();
      await vi.waitFor(async () => expect((await handshake(url('/quota-closed', 'cy'))).status).toBe(101), {
        timeout: 10_000,
        interval: 100,
      });
      expect((await Promise.all(ROUTES.map((path) => handshake(url(path, 'di'))))).map((o) => o.status)).toEqual([
        101, 101, 101, 101,
      ]);
      // Redis came back empty: the heartbeat puts back the leases of connections still open (ada's on
      // /quota-closed, from before the outage), so ada's quota of 2 counts it again.
      await store.renew();
      expect(storeErrors.map((e) => e.code)).toContain('REDIS_LEASE_RESTORED');
      const ada = await Promise.all([handshake(url('/quota-closed')), handshake(url('/quota-closed'))]);
      expect(tally(ada)).toEqual({ 101: 1, 429: 1 });
      expect(unhandled).toEqual([]);
    });
  });
});
