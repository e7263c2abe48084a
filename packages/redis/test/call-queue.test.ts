import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisStore, type RedisStore, type RedisStoreError } from '../src/index.js';
import { clientKinds, connect, type TestClient } from './clients.js';
import { describeWithRedis, keepBusy, useRedisServer } from './redis-server.js';

// The store's lane (call-queue.ts): one call in flight; admissions and releases asked meanwhile share the next
// ADMIT call, releases first, then each admission decided as if it were alone, in the order asked.
describeWithRedis("the store's one lane of calls, against a real redis-server", () => {
  const redis = useRedisServer();
  /** Scripts Redis ran (EVALSHA, and EVAL after a NOSCRIPT): its own count of round trips. */
  const scriptCalls = async () => {
    const stats = await redis.inspect.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  };

  describe.each(clientKinds)('with %s', (kind) => {
    let tc: TestClient;
    let store: RedisStore;
    let namespace = 0;
    beforeAll(async () => {
      tc = await connect(kind, redis.server.port);
    });
    afterEach(async () => {
      await store?.close({ release: true });
    });
    afterAll(async () => {
      await tc?.close();
    });
    const open = (options: { timeoutMs?: number; onError?: (error: RedisStoreError) => void } = {}) => {
      store = createRedisStore({ client: tc.client, prefix: `{q}:${kind}:${++namespace}:`, ...options });
      return store;
    };
    const leaseKey = (key: string) => `{q}:${kind}:${namespace}:lease:${key}`;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
      expect(await redis.inspect.zcard(`{q}:${kind}:${namespace}:lease:room`)).toBe(3);
    });

    it('splits a crowd into calls of at most 128 handshakes', async () => {
      const store = open();
      await store.acquire('warm', 1);
      const sentBefore = store.stats().commands;
      const leases = await Promise.all(Array.from({ length: 300 }, (_, i) => store.acquire(`user:${i % 10}`, 30)));
      expect(leases.every((lease) => lease !== undefined)).toBe(true);
      expect(store.stats().commands - sentBefore).toBe(3);
    });

    it('sends releases with the admissions asked after them, in one call, releases first', async () => {
      const store = open();
      const held = await store.acquire('room', 1);
      expect(held).toBeDefined();
      const sentBefore = store.stats().commands;
      // The room's one slot is given back and taken again in the same turn: one call, and the release
      // counts first, so the admission finds the room empty.
      const [, again] = await Promise.all([store.release(held!), store.acquire('room', 1)]);
      expect(again).toBeDefined();
      expect(store.stats().commands - sentBefore).toBe(1);
      expect(await redis.inspect.zrange(leaseKey('room'), '0', '-1')).toEqual([again!.id]);
    });

    it('keeps one call in flight: what is asked meanwhile goes together in the next one', async () => {
      const store = open();
      await store.acquire('warm', 1);
      const sentBefore = store.stats().commands;
      const slow = keepBusy(redis.inspect, 300);
      await sleep(20); // Redis is in the busy script
      const first = store.acquire('room', 10); // sent: waits behind the busy script
      const later: Promise<unknown>[] = [];
      for (let i = 0; i < 5; i++) {
        await sleep(10); // each in a turn of its own, while the first is in flight
        later.push(store.acquire('room', 10));
      }
      await slow;
      const leases = await Promise.all([first, ...later]);
      expect(leases.every((lease) => lease !== undefined)).toBe(true);
      expect(store.stats().commands - sentBefore).toBe(2);
      expect(await redis.inspect.zcard(leaseKey('room'))).toBe(6);
    });

    it('frees the lane when a call times out, sends nothing whose caller was told REDIS_TIMEOUT, and gives back what was granted late', async () => {
      const errors: RedisStoreError[] = [];
      const store = open({ timeoutMs: 100, onError: (error) => errors.push(error) });
      await store.release((await store.acquire('warm', 1))!);
      const sentBefore = store.stats().commands;
      const slow = keepBusy(redis.inspect, 600);
      await sleep(20);
      // 300 in one turn: the first 128 go (and wait behind the busy script); when the lane frees after
      // 100 ms, the other 172 are past their own 100 ms: refused without being sent.
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, (_, i) => store.acquire(`user:${i}`, 1).catch((error: RedisStoreError) => error)),
      );
      expect(outcomes.map((outcome) => (outcome as RedisStoreError).code)).toEqual(Array(300).fill('REDIS_TIMEOUT'));
      expect(store.stats().commands - sentBefore).toBe(1);
      await slow;
      // The 128 were granted once Redis was free; nobody waits for them: they are removed in the next call.
      await vi.waitFor(async () => expect(await redis.inspect.keys(leaseKey('*'))).toEqual([]));
      expect(store.stats().commands - sentBefore).toBe(2);
      expect(store.stats().leasesHeld).toBe(0);
      expect(await store.acquire('user:0', 1)).toBeDefined();
    });
  });
});
