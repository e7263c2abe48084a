import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';
import { clientKinds, connect, type TestClient } from './clients.js';
import { describeWithRedis, type RedisServer, startRedisServer } from './redis-server.js';

// Admissions asked in one turn of the event loop share one ADMIT call; each is decided as if it were alone,
// in the order asked.
describeWithRedis('admissions asked together, against a real redis-server', () => {
  let server: RedisServer;
  let inspect: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    inspect = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    inspect?.disconnect();
    await server?.stop();
  });
  /** Scripts Redis ran (EVALSHA, and EVAL after a NOSCRIPT): its own count of round trips. */
  const scriptCalls = async () => {
    const stats = await inspect.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  };

  describe.each(clientKinds)('with %s', (kind) => {
    let tc: TestClient;
    let store: RedisStore;
    let namespace = 0;
    beforeAll(async () => {
      tc = await connect(kind, server.port);
    });
    afterEach(async () => {
      await store?.close({ release: true });
    });
    afterAll(async () => {
      await tc?.close();
    });
    const open = () => {
      store = createRedisStore({ client: tc.client, prefix: `{q}:${kind}:${++namespace}:` });
      return store;
    };

    it('decides one turn of handshakes in one script call, each as if alone, in the order asked', async () => {
      const store = open();
      await store.acquire('warm', 1); // the script is loaded: every call below is one EVALSHA
      const [sentBefore, callsBefore] = [store.stats().commands, await scriptCalls()];
      const verdicts = await Promise.all([
        store.acquire('room', 2),
        store.hit('ip', 2, 60_000),
        store.acquire('room', 2),
        store.hit('ip', 2, 60_000),
        store.acquire('room', 2), // the room is full: the two before it took its slots
        store.hit('ip', 2, 60_000), // spent by the two before it
        store.admitBatch({
          hits: [{ key: 'other-ip', limit: 1, windowMs: 60_000 }],
          leases: [{ key: 'room', limit: 3 }],
        }),
      ]);
      expect(store.stats().commands - sentBefore).toBe(1);
      expect((await scriptCalls()) - callsBefore).toBe(1);
      const [a, b, c, d, e, f, g] = verdicts;
      expect([a, c, e].map((lease) => lease !== undefined)).toEqual([true, true, false]);
      expect([b, d].map((rate) => (rate as { allowed: boolean }).allowed)).toEqual([true, true]);
      expect(f).toMatchObject({ allowed: false });
      expect((f as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(59_000);
      // The last group saw the room at 2 of 3: its attempt counted and its lease taken.
      expect(g).toMatchObject({ admitted: true, leases: [{ key: 'room' }] });
      expect(await inspect.zcard(`{q}:${kind}:${namespace}:lease:room`)).toBe(3);
    });

    it('splits a crowd into calls of at most 128 handshakes', async () => {
      const store = open();
      await store.acquire('warm', 1);
      const sentBefore = store.stats().commands;
      const leases = await Promise.all(Array.from({ length: 300 }, (_, i) => store.acquire(`user:${i % 10}`, 30)));
      expect(leases.every((lease) => lease !== undefined)).toBe(true);
      expect(store.stats().commands - sentBefore).toBe(3);
    });
  });
});
