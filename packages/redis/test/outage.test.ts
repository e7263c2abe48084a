// Redis stopped in the middle of a run and started again (empty, without its scripts, as a Redis without
// persistence comes back): every call fails with a coded error, nothing crashes or rejects unhandled
// (vitest fails the run on an unhandled rejection), and the store works again afterwards.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisStore, type RedisStoreError } from '../src/index.js';
import { clientKinds, connect } from './clients.js';
import { describeWithRedis, type RedisServer, startRedisServer } from './redis-server.js';

describeWithRedis('a Redis outage', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe.each(clientKinds)('with %s', (kind) => {
    it('fails every call with REDIS_UNAVAILABLE while Redis is down, and works again when it is back', async () => {
      // A client without an 'error' listener: node-redis would throw its connection errors and end
      // the process; the store listens for it and reports the outage once.
      const tc = await connect(kind, server.port, { failFast: true, unwatched: true });
      const errors: RedisStoreError[] = [];
      const store = createRedisStore({
        client: tc.client,
        prefix: `outage:${kind}:`,
        leaseMs: 10_000,
        timeoutMs: 2_000,
        onError: (e) => errors.push(e),
      });
      try {
        const kept = await store.acquire('k', 5);
        const released = await store.acquire('k', 5);
        expect((await store.hit('ip', 5, 10_000)).allowed).toBe(true);

        await server.stop();
        const reported = () => errors.filter((e) => e.message.includes('client reported'));
        await vi.waitFor(() => expect(reported()).toHaveLength(1)); // the client's first error, forwarded
        const refusals = [
          await store.acquire('k', 5).catch((e: RedisStoreError) => e),
          await store.hit('ip', 5, 10_000).catch((e: RedisStoreError) => e),
        ];
        expect(refusals.map((e) => (e as RedisStoreError).code)).toEqual(['REDIS_UNAVAILABLE', 'REDIS_UNAVAILABLE']);
        await store.renew();
        await store.release(released!); // resolves: the lease would expire by itself
        expect(errors.map((e) => e.code)).toContain('REDIS_UNAVAILABLE');
        expect(errors.some((e) => e.message.includes('renew'))).toBe(true);
        expect(errors.some((e) => e.message.includes('release'))).toBe(true);
        expect(reported()).toHaveLength(1); // one report per outage, however often the client retries

        await server.start();
        const { scriptLoads } = store.stats();
        await vi.waitFor(async () => expect(await store.acquire('k', 5)).toBeDefined(), {
          timeout: 10_000,
          interval: 50,
        });
        expect((await store.hit('ip', 5, 10_000)).allowed).toBe(true);
        expect(store.stats().scriptLoads).toBe(scriptLoads + 1); // ADMIT (acquire and hit alike), after NOSCRIPT
        // The restarted Redis remembers no lease: the heartbeat puts back the one still held, and says so.
        errors.length = 0;
        await store.renew();
        expect(errors.map((e) => [e.code, e.leases])).toEqual([['REDIS_LEASE_RESTORED', [kept]]]);
        expect(store.stats().leasesHeld).toBe(2);
        expect(reported()).toHaveLength(0);
      } finally {
        await server.start(); // whatever failed, the next test has its Redis
        await store.close();
        await tc.close();
      }
    });

    it('answers REDIS_TIMEOUT when the client queues commands, and gives back a lease granted late', async () => {
      const tc = await connect(kind, server.port); // offline queue on: commands wait for the reconnection
      const inspect = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
      inspect.on('error', () => {});
      const errors: RedisStoreError[] = [];
      const store = createRedisStore({
        client: tc.client,
        prefix: `queued:${kind}:`,
        timeoutMs: 300,
        onError: (e) => errors.push(e),
      });
      try {
        await store.release((await store.acquire('k', 5))!);
        await server.stop();
        await vi.waitFor(() => expect(tc.errors.length).toBeGreaterThan(0)); // the client knows
        const { commands, scriptLoads } = store.stats();
        const refused = await store.acquire('k', 5).catch((e: RedisStoreError) => e);
        expect((refused as RedisStoreError).code).toBe('REDIS_TIMEOUT');
        expect(store.stats().heartbeatActive).toBe(false);
        await server.start();
        // The queued EVALSHA goes out on reconnection, meets NOSCRIPT, loads the script, is granted,
        // and the store removes the lease nobody is waiting for, in the next call of the same script.
        // EVALSHA, SCRIPT LOAD, EVALSHA (the admission), then EVALSHA (the removal):
        await vi.waitFor(() => expect(store.stats().commands).toBe(commands + 4), { timeout: 10_000 });
        expect(store.stats().scriptLoads).toBe(scriptLoads + 1);
        await inspect.connect();
        await vi.waitFor(async () => expect(await inspect.exists(`queued:${kind}:lease:k`)).toBe(0));
        expect(store.stats().leasesHeld).toBe(0);
        expect(await store.acquire('k', 5)).toBeDefined();
      } finally {
        await server.start();
        inspect.disconnect();
        await store.close();
        await tc.close();
      }
    });
  });
});
