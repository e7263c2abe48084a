import { MemoryLeaseStore } from '@wsgate/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createRedisStore,
  type Lease,
  type RedisStore,
  RedisStoreError,
  type RedisStoreOptions,
} from '../src/index.js';
import { ADMIT } from '../src/scripts.js';
import { clientKinds, connect, type TestClient } from './clients.js';
import { describeWithRedis, keepBusy, useRedisServer } from './redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('createRedisStore against a real redis-server', () => {
  const redis = useRedisServer();

  /** Redis's own clock, in ms: the clock the scripts use. */
  const redisNow = async () => {
    const [seconds, micros] = await redis.inspect.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };
  const evalshaCalls = async () =>
    Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.inspect.info('commandstats'))?.[1] ?? 0);

  describe.each(clientKinds)('with %s', (kind) => {
    let tc: TestClient;
    let prefix: string;
    let errors: RedisStoreError[];
    const stores: RedisStore[] = [];
    let namespace = 0;
    const open = (options: Partial<RedisStoreOptions> = {}) => {
      const store = createRedisStore({ client: tc.client, prefix, onError: (e) => errors.push(e), ...options });
      stores.push(store);
      return store;
    };
    beforeAll(async () => {
      tc = await connect(kind, redis.server.port);
    });
    beforeEach(() => {
      prefix = `t:${kind}:${++namespace}:`; // each test its own keys
      errors = [];
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });
    afterAll(async () => {
      await tc?.close();
    });

    it('grants up to the limit, refuses beyond it, and frees a slot on release', async () => {
      const store = open();
      const leases = await Promise.all(Array.from({ length: 8 }, () => store.acquire('user:42', 5)));
      const granted = leases.filter((l): l is Lease => l !== undefined);
      expect(granted).toHaveLength(5);
      expect(await redis.inspect.zcard(`${prefix}lease:user:42`)).toBe(5);
      expect(await store.acquire('user:7', 5)).toBeDefined(); // another key, its own slots
      await store.release(granted[0]!);
      expect(await redis.inspect.zcard(`${prefix}lease:user:42`)).toBe(4);
      expect(await store.acquire('user:42', 5)).toBeDefined();
      expect(await store.acquire('user:42', 5)).toBeUndefined();
      expect(errors).toEqual([]);
    });

    it('agrees with the in-memory store on any sequence of acquires and releases', async () => {
      const op = fc.oneof(fc.record({ acquire: fc.integer({ min: 0, max: 2 }) }), fc.record({ release: fc.nat() }));
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 30 }), async (limit, ops) => {
          const runPrefix = `${prefix}${++run}:`;
          const store = open({ prefix: runPrefix });
          const model = new MemoryLeaseStore();
          const granted: Array<[Lease, Lease]> = []; // [redis lease, model lease], released ones included
          for (const o of ops) {
            if ('acquire' in o) {
              const key = `k${o.acquire}`;
              const [lease, expected] = [await store.acquire(key, limit), model.acquire(key, limit)];
              expect(lease === undefined).toBe(expected === undefined);
              if (lease && expected) granted.push([lease, expected]);
            } else if (granted.length > 0) {
              const [lease, expected] = granted[o.release % granted.length]!;
              await store.release(lease);
              model.release(expected);
            }
          }
          for (const key of ['k0', 'k1', 'k2'])
            expect(await redis.inspect.zcard(`${runPrefix}lease:${key}`)).toBe(model.held(key));
          expect(store.stats().leasesHeld).toBe(model.held());
          await store.close({ release: true });
        }),
        { numRuns: 25 },
      );
    });

    it('sends nothing for a lease released twice, or one it never gave', async () => {
      const store = open();
      const [a, b] = [await store.acquire('k', 3), await store.acquire('k', 3)];
      await store.release(a!);
      const { commands } = store.stats();
      await store.release(a!);
      await store.release({ key: 'k', id: 'someone-else:1' });
      await store.release({ key: 'other', id: b!.id });
      expect(store.stats().commands).toBe(commands);
      expect(await redis.inspect.zrange(`${prefix}lease:k`, '0', '-1')).toEqual([b!.id]);
      expect(store.stats().leasesHeld).toBe(1);
    });

    it('lays keys out as prefix + lease: + key, expiring with the last lease, and deletes them when empty', async () => {
      const store = open({ leaseMs: 5_000 });
      const lease = (await store.acquire('route:/chat', 2))!;
      expect(lease.id).toMatch(/^[\w-]{12}:[0-9a-z]+:1$/); // <store id>:<call>:<rank in the call>
      const key = `${prefix}lease:route:/chat`;
      const [id, score] = await redis.inspect.zrange(key, '0', '-1', 'WITHSCORES');
      expect(id).toBe(lease.id);
      const [expiry, now] = [Number(score), await redisNow()];
      expect(expiry).toBeGreaterThan(now);
      expect(expiry).toBeLessThanOrEqual(now + 5_000);
      const ttl = await redis.inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
      await store.release(lease);
      expect(await redis.inspect.exists(key)).toBe(0);
    });

    it('lets the key of a store that stopped renewing vanish by itself', async () => {
      const store = open({ leaseMs: 200, renewEveryMs: 100 });
      await store.acquire('idle', 1);
      await store.close(); // the heartbeat stops; the lease and its key expire
      await vi.waitFor(async () => expect(await redis.inspect.exists(`${prefix}lease:idle`)).toBe(0), {
        timeout: 5_000,
      });
      expect(await open().acquire('idle', 1)).toBeDefined();
    });

    it('purges dead leases only from a full set, and decides as if they were gone', async () => {
      const store = open();
      const key = `${prefix}lease:k`;
      const dying = [await store.acquire('k', 3), await store.acquire('k', 3)];
      for (const lease of dying) await redis.inspect.zadd(key, 'XX', 1, lease!.id); // dead, as a SIGKILLed holder's
      // 2 of 3 with the dead: room either way, and the dead stay (no purge below the limit).
      expect(await store.acquire('k', 3)).toBeDefined();
      expect(await redis.inspect.zcard(key)).toBe(3);
      // Full with the dead: they are purged first, which leaves 1 living of 3.
      expect(await store.acquire('k', 3)).toBeDefined();
      expect(await redis.inspect.zcard(key)).toBe(2);
      expect(await store.acquire('k', 3)).toBeDefined();
      expect(await store.acquire('k', 3)).toBeUndefined();
      expect(await redis.inspect.zcard(key)).toBe(3);
      expect(await redis.inspect.pttl(key)).toBeGreaterThan(0); // the new leases keep the key alive
    });

    it('renews every lease it holds in one round trip (one script call per 1,000 leases)', async () => {
      const store = open({ leaseMs: 60_000, renewEveryMs: 30_000 });
      for (let i = 0; i < 300; i++) await store.acquire(`room:${i % 30}`, 100);
      const before = await redis.inspect.zrange(`${prefix}lease:room:0`, '0', '-1', 'WITHSCORES');
      await store.renew(); // the first after a server start loads RENEW (NOSCRIPT, SCRIPT LOAD): not counted
      await sleep(5); // Redis's clock moves on, so renewed expiries are later
      let [commands, evalsha] = [store.stats().commands, await evalshaCalls()];
      await store.renew();
      expect(store.stats().commands - commands).toBe(1);
      expect((await evalshaCalls()) - evalsha).toBe(1);
      const after = await redis.inspect.zrange(`${prefix}lease:room:0`, '0', '-1', 'WITHSCORES');
      for (let i = 1; i < after.length; i += 2) expect(Number(after[i])).toBeGreaterThan(Number(before[i]));

      for (let i = 0; i < 1_200; i++) await store.acquire(`hall:${i % 3}`, 1_000);
      [commands, evalsha] = [store.stats().commands, await evalshaCalls()];
      await store.renew(); // 1,500 leases: two script calls, sent together
      expect(store.stats().commands - commands).toBe(2);
      expect((await evalshaCalls()) - evalsha).toBe(2);
      expect(store.stats()).toMatchObject({ leasesHeld: 1_500, heartbeats: 3, leasesRestored: 0 });
      expect(errors).toEqual([]);
    });

    it('runs the heartbeat on a timer only while it holds leases, keeping leases alive past leaseMs', async () => {
      const store = open({ leaseMs: 300, renewEveryMs: 60 });
      expect(store.stats().heartbeatActive).toBe(false);
      const lease = (await store.acquire('k', 1))!;
      expect(store.stats().heartbeatActive).toBe(true);
      await vi.waitFor(() => expect(store.stats().heartbeats).toBeGreaterThanOrEqual(8), { timeout: 5_000 }); // > leaseMs
      expect(Number(await redis.inspect.zscore(`${prefix}lease:k`, lease.id))).toBeGreaterThan(await redisNow());
      expect(await store.acquire('k', 1)).toBeUndefined();
      await store.release(lease);
      expect(store.stats().heartbeatActive).toBe(false);
      expect(errors).toEqual([]);
    });

    it('puts back the leases Redis lost while they fit, and leaves out (and tells) those whose slots were taken', async () => {
      const store = open({ leaseMs: 60_000, renewEveryMs: 30_000 });
      const lost: Lease[] = [];
      const onLost = (lease: Lease) => lost.push(lease);
      const [gone, expired, alive] = [
        await store.acquire('k', 3, { onLost }),
        await store.acquire('k', 3, { onLost }),
        await store.acquire('k', 3, { onLost }),
      ];
      const key = `${prefix}lease:k`;
      await redis.inspect.zrem(key, gone!.id); // removed behind the store's back, as by a restart
      await redis.inspect.zadd(key, 'XX', 1, expired!.id); // dead, as after a stall or a partition past leaseMs
      const taken = await store.acquire('k', 3); // one freed slot went to someone else
      expect(taken).toBeDefined();
      await store.renew();
      // `gone` fits again (2 of 3 held); `expired` does not: left out, its holder told, never 4 of 3.
      expect(errors.map((e) => [e.code, e.leases])).toEqual([
        ['REDIS_LEASE_RESTORED', [gone]],
        ['REDIS_LEASES_LOST', [expired]],
      ]);
      expect(lost).toEqual([expired]);
      expect(await redis.inspect.zcard(key)).toBe(3);
      expect(await redis.inspect.zscore(key, expired!.id)).toBeNull();
      expect(store.stats()).toMatchObject({ leasesHeld: 3, leasesRestored: 1, leasesLost: 1 });
      const { commands } = store.stats();
      await store.release(expired!); // no longer held: nothing to send
      expect(store.stats().commands).toBe(commands);
      await store.release(alive!);
      expect(await store.acquire('k', 3)).toBeDefined();
    });

    it("with onLeaseLost 'keep', puts back the leases whose slots were taken over the limit, and says so", async () => {
      const store = open({ leaseMs: 60_000, renewEveryMs: 30_000, onLeaseLost: 'keep' });
      const lost: Lease[] = [];
      const [gone, expired] = [
        await store.acquire('k', 2, { onLost: (l) => lost.push(l) }),
        await store.acquire('k', 2, { onLost: (l) => lost.push(l) }),
      ];
      const key = `${prefix}lease:k`;
      await redis.inspect.zrem(key, gone!.id);
      await redis.inspect.zadd(key, 'XX', 1, expired!.id);
      expect(await store.acquire('k', 2)).toBeDefined();
      expect(await store.acquire('k', 2)).toBeDefined();
      await store.renew();
      expect(errors.map((e) => [e.code, e.leases])).toEqual([['REDIS_LEASES_OVER_LIMIT', [gone, expired]]]);
      expect(lost).toEqual([]);
      // Four open connections against a limit of 2: nobody else is admitted until enough close.
      expect(await redis.inspect.zcard(key)).toBe(4);
      expect(await store.acquire('k', 2)).toBeUndefined();
      expect(store.stats()).toMatchObject({ leasesHeld: 4, leasesOverLimit: 2 });
    });

    it('does not keep a lease released while the heartbeat reloaded its script', async () => {
      const store = open({ leaseMs: 60_000, renewEveryMs: 30_000 });
      const lease = (await store.acquire('k', 5))!;
      const key = `${prefix}lease:k`;
      await redis.inspect.zrem(key, lease.id);
      await redis.inspect.script('FLUSH'); // the renewal meets NOSCRIPT and goes again after the release
      const renewed = store.renew();
      await store.release(lease);
      await renewed;
      expect(store.stats().leasesHeld).toBe(0);
      await vi.waitFor(async () => expect(await redis.inspect.exists(key)).toBe(0));
      expect(errors).toEqual([]);
    });

    it('allows exactly the limit in a window and refuses the next with an exact retryAfterMs', async () => {
      const store = open();
      const before = await redisNow();
      const verdicts = await Promise.all(Array.from({ length: 20 }, () => store.hit('ip:203.0.113.7', 5, 10_000)));
      const after = await redisNow();
      expect(verdicts.filter((v) => v.allowed)).toHaveLength(5);
      const key = `${prefix}rate:ip:203.0.113.7`;
      expect(await redis.inspect.zcard(key)).toBe(5); // refused attempts are not recorded
      const oldest = Number((await redis.inspect.zrange(key, '0', '0', 'WITHSCORES'))[1]);
      for (const { allowed, retryAfterMs } of verdicts.filter((v) => !v.allowed)) {
        expect(allowed).toBe(false);
        // The oldest attempt leaves the window at oldest + 10,000, measured on Redis's clock at the call.
        expect(retryAfterMs).toBeGreaterThanOrEqual(oldest + 10_000 - after);
        expect(retryAfterMs).toBeLessThanOrEqual(oldest + 10_000 - before);
      }
      const ttl = await redis.inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);

      // To the millisecond: the script between two TIMEs in one transaction, which Redis runs without a
      // break; when both TIMEs fall in the same millisecond, that is the script's `now`.
      let exact = 0;
      for (let i = 0; i < 20 && exact < 3; i++) {
        const replies = await redis.inspect
          .multi()
          .time()
          .evalsha(ADMIT.sha, 1, key, 0, 1, 60_000, 1, 0, `probe:${i}`, 5, 10_000) // no removal; one group: one rate limit
          .time()
          .exec();
        const [t1, verdict, t2] = replies!.map(([error, reply]) => {
          expect(error).toBeNull();
          return reply as [string, string] | [number, number];
        });
        const ms = ([seconds, micros]: [string, string]) => Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
        const [start, end] = [ms(t1 as [string, string]), ms(t2 as [string, string])];
        if (start !== end) continue;
        expect(verdict).toEqual([[1, 0, oldest + 10_000 - start]]);
        exact++;
      }
      expect(exact).toBe(3);
    });

    it('allows again once the window has slid past the oldest attempt', async () => {
      const store = open();
      for (let i = 0; i < 3; i++) expect(await store.hit('ip:1', 3, 300)).toEqual({ allowed: true, retryAfterMs: 0 });
      const refused = await store.hit('ip:1', 3, 300);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(300);
      await sleep(refused.retryAfterMs + 2);
      expect(await store.hit('ip:1', 3, 300)).toEqual({ allowed: true, retryAfterMs: 0 });
      expect(await redis.inspect.zcard(`${prefix}rate:ip:1`)).toBeLessThanOrEqual(3);
    });

    it('loads its scripts again after SCRIPT FLUSH (NOSCRIPT), once per script however many calls wait', async () => {
      const store = open();
      await redis.inspect.script('FLUSH');
      const leases = await Promise.all(Array.from({ length: 20 }, () => store.acquire('k', 100)));
      expect(leases.every((l) => l !== undefined)).toBe(true);
      expect(store.stats().scriptLoads).toBe(1);
      expect((await store.hit('k', 100, 1_000)).allowed).toBe(true); // the same script (ADMIT)
      expect(store.stats().scriptLoads).toBe(1);
      const { commands } = store.stats();
      await store.acquire('k', 100);
      expect(store.stats()).toMatchObject({ scriptLoads: 1, commands: commands + 1 });
    });

    it('gives back a lease granted after the caller was told REDIS_TIMEOUT', async () => {
      const store = open({ timeoutMs: 100 });
      await store.release((await store.acquire('slow', 5))!); // the script is loaded: one EVALSHA below
      // Redis busy for 800 ms in a script: the store's commands wait behind it.
      const busy = keepBusy(redis.inspect, 800);
      await sleep(100);
      const { commands } = store.stats();
      const error = await store.acquire('slow', 5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisStoreError);
      expect((error as RedisStoreError).code).toBe('REDIS_TIMEOUT');
      await busy;
      // The EVALSHA ran once Redis was free and granted the lease; the store removed it again.
      await vi.waitFor(() => expect(store.stats().commands).toBe(commands + 2), { timeout: 5_000 });
      await vi.waitFor(async () => expect(await redis.inspect.exists(`${prefix}lease:slow`)).toBe(0));
      expect(store.stats().leasesHeld).toBe(0);
    });

    it('rejects calls after close, and close({ release: true }) gives every lease back', async () => {
      const store = open();
      await Promise.all(Array.from({ length: 4 }, (_, i) => store.acquire(`k${i % 2}`, 10)));
      await store.close({ release: true });
      expect(await redis.inspect.exists(`${prefix}lease:k0`, `${prefix}lease:k1`)).toBe(0);
      expect(store.stats()).toMatchObject({ leasesHeld: 0, heartbeatActive: false });
      await expect(store.acquire('k0', 10)).rejects.toMatchObject({ code: 'REDIS_STORE_CLOSED' });
      await expect(store.hit('k0', 10, 1_000)).rejects.toMatchObject({ code: 'REDIS_STORE_CLOSED' });
      await store.close(); // idempotent
    });
  });
});

describe('createRedisStore options', () => {
  const client = { call: async () => 'OK' };
  it.each([
    ['a client of neither library', { client: {} }, /ioredis or node-redis client/],
    ['an ioredis Cluster without a hash tag', { client: { isCluster: true, call: () => {} }, prefix: 'w:' }, /prefix/],
    [
      'a node-redis cluster without a hash tag',
      { client: { getSlotMaster: () => {}, sendCommand: () => {} }, prefix: 'w:' },
      /prefix/,
    ],
    ['an onLeaseLost of neither kind', { client, onLeaseLost: 'drop' }, /onLeaseLost/],
    ['a prefix that is no string', { client, prefix: 5 }, /prefix/],
    ['leaseMs 0', { client, leaseMs: 0 }, /leaseMs/],
    ['leaseMs 1.5', { client, leaseMs: 1.5 }, /leaseMs/],
    ['renewEveryMs -1', { client, renewEveryMs: -1 }, /renewEveryMs/],
    [
      'renewEveryMs = leaseMs',
      { client, leaseMs: 1_000, renewEveryMs: 1_000 },
      /renewEveryMs \(1000\) must be below leaseMs/,
    ],
    ['timeoutMs NaN', { client, timeoutMs: Number.NaN }, /timeoutMs/],
    ['an onError that is no function', { client, onError: 'log' }, /onError/],
  ])('refuses %s with a TypeError naming the option', (_, options, message) => {
    expect(() => createRedisStore(options as unknown as RedisStoreOptions)).toThrow(TypeError);
    expect(() => createRedisStore(options as unknown as RedisStoreOptions)).toThrow(message);
  });

  it.each([
    ['acquire', (s: RedisStore) => s.acquire('k', 0)],
    ['acquire', (s: RedisStore) => s.acquire(5 as unknown as string, 1)],
    ['hit', (s: RedisStore) => s.hit('k', 1.5, 1_000)],
    ['hit', (s: RedisStore) => s.hit('k', 1, 0.5)],
  ])('%s refuses bad arguments with a TypeError before sending anything', async (_, call) => {
    const store = createRedisStore({ client });
    await expect(call(store)).rejects.toThrow(TypeError);
    expect(store.stats().commands).toBe(0);
  });
});
