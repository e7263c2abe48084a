// Quotas and rate limits over their stores: all-or-nothing leases, store errors per onStoreError, late
// answers given back, and options checked at setup. The stores here are scripted; the same paths against a
// real Redis, through a real gate, are in test/cluster.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryLeaseStore, MemoryRateStore } from '../../src/policy/memory-stores.js';
import { acquireQuotas, quotaPerIp, quotaPerKey, quotaPerRoute } from '../../src/policy/quota.js';
import { checkRateLimits, parseDuration, rateLimitPerIp, rateLimitPerKey } from '../../src/policy/rate-limit.js';
import type { Lease, LeaseStore } from '../../src/policy/stores.js';
import { Rejection } from '../../src/protocol/rejection.js';

const info = { request: {} as never, route: '/ws', ip: '203.0.113.7', context: { user: 'ada' } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Behaviour = 'grant' | 'full' | 'throw' | 'reject' | 'grant-async';

/** A store that answers as told, and counts what it holds. */
class ScriptedStore implements LeaseStore {
  readonly held = new Set<string>();
  released = 0;
  #n = 0;
  constructor(readonly behaviour: Behaviour) {}
  acquire(key: string): Lease | undefined | Promise<Lease | undefined> {
    const grant = () => {
      const lease = { key, id: String(++this.#n) };
      this.held.add(lease.id);
      return lease;
    };
    switch (this.behaviour) {
      case 'grant':
        return grant();
      case 'grant-async':
        return Promise.resolve().then(grant);
      case 'full':
        return undefined;
      case 'throw':
        throw new Error('store down');
      case 'reject':
        return Promise.reject(new Error('store down'));
    }
  }
  release(lease: Lease): void {
    this.released++;
    this.held.delete(lease.id);
  }
}

describe('acquireQuotas', () => {
  it('takes every quota or none: a full one gives back what the others took, 429 with its Retry-After', async () => {
    const store = new MemoryLeaseStore();
    const quotas = [
      quotaPerIp(5, { store }),
      quotaPerKey<{ user: string }>(1, ({ context }) => context.user, { store, retryAfter: 7 }),
    ];
    const first = await acquireQuotas(quotas, info, () => {});
    expect(typeof first).toBe('function');
    expect(store.held()).toBe(2);
    const second = await acquireQuotas(quotas, info, () => {});
    expect(second).toBeInstanceOf(Rejection);
    expect([(second as Rejection).code, (second as Rejection).headers['Retry-After']]).toEqual(['QUOTA_EXCEEDED', 7]);
    expect(store.held()).toBe(2);
    (first as () => void)();
    (first as () => void)(); // twice: nothing more
    expect(store.held()).toBe(0);
  });

  it('computes every key before asking a store: a key function that throws leaves nothing taken', async () => {
    const store = new MemoryLeaseStore();
    const boom = new Error('no user');
    const quotas = [
      quotaPerIp(5, { store }),
      quotaPerKey(5, () => {
        throw boom;
      }),
    ];
    await expect(acquireQuotas(quotas, info, () => {})).rejects.toBe(boom);
    expect(store.held()).toBe(0);
  });

  it('reports a store error and, per onStoreError, refuses with 503 or skips that quota', async () => {
    for (const behaviour of ['throw', 'reject'] as const) {
      const down = new ScriptedStore(behaviour);
      const memory = new MemoryLeaseStore();
      const reported: unknown[] = [];
      const closed = await acquireQuotas(
        [quotaPerIp(5, { store: memory }), quotaPerRoute(5, { store: down })],
        info,
        (e) => reported.push(e),
      );
      expect((closed as Rejection).code).toBe('STORE_UNAVAILABLE');
      expect((closed as Rejection).status).toBe(503);
      expect(memory.held()).toBe(0);
      const open = await acquireQuotas(
        [quotaPerIp(5, { store: memory }), quotaPerRoute(5, { store: down, onStoreError: 'fail-open' })],
        info,
        (e) => reported.push(e),
      );
      expect(typeof open).toBe('function');
      expect(memory.held()).toBe(1);
      expect(reported.map((e) => (e as Error).message)).toEqual(['store down', 'store down']);
      (open as () => void)();
    }
  });

  it('counts a store that does not answer within storeTimeout as failed, and releases the lease it grants later', async () => {
    let grant: (lease: Lease) => void = () => {};
    const released: Lease[] = [];
    const slow: LeaseStore = {
      acquire: () => new Promise((resolve) => (grant = resolve)),
      release: (lease) => void released.push(lease),
    };
    const reported: unknown[] = [];
    const answer = await acquireQuotas([quotaPerIp(1, { store: slow, storeTimeout: 20 })], info, (e) =>
      reported.push(e),
    );
    expect((answer as Rejection).code).toBe('STORE_UNAVAILABLE');
    expect(reported.map((e) => (e as { code: string }).code)).toEqual(['STORE_TIMEOUT']);
    grant({ key: 'ip:203.0.113.7', id: 'late' });
    await sleep(0);
    expect(released).toEqual([{ key: 'ip:203.0.113.7', id: 'late' }]);
  });

  it('gives the leases back when onError throws, and lets the error through', async () => {
    const memory = new MemoryLeaseStore();
    const quotas = [
      quotaPerIp(5, { store: memory }),
      quotaPerRoute(5, { store: new ScriptedStore('throw'), onStoreError: 'fail-open' }),
    ];
    const bug = new Error('onError bug');
    await expect(
      acquireQuotas(quotas, info, () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
    expect(memory.held()).toBe(0);
  });

  it('holds nothing after a refusal and everything until release after an admission, for any mix of answers', async () => {
    const behaviours = fc.constantFrom<Behaviour>('grant', 'grant-async', 'full', 'throw', 'reject');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ behaviour: behaviours, failOpen: fc.boolean() }), { minLength: 1, maxLength: 6 }),
        async (specs) => {
          const stores = specs.map(({ behaviour }) => new ScriptedStore(behaviour));
          const quotas = specs.map(({ failOpen }, i) =>
            quotaPerKey(1, () => `q${i}`, { store: stores[i], onStoreError: failOpen ? 'fail-open' : 'fail-closed' }),
          );
          const answer = await acquireQuotas(quotas, info, () => {});
          const refused = specs.some(
            ({ behaviour, failOpen }) =>
              behaviour === 'full' || ((behaviour === 'throw' || behaviour === 'reject') && !failOpen),
          );
          const held = () => stores.reduce((n, s) => n + s.held.size, 0);
          if (refused) {
            expect(answer).toBeInstanceOf(Rejection);
            expect(held()).toBe(0);
          } else {
            expect(typeof answer).toBe('function');
            expect(held()).toBe(specs.filter(({ behaviour }) => behaviour.startsWith('grant')).length);
            (answer as () => void)();
            (answer as () => void)();
            expect(held()).toBe(0);
          }
          for (const store of stores) expect(store.released).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('checkRateLimits', () => {
  it('refuses past the limit with 429 and the store’s Retry-After, rounded up to whole seconds', async () => {
    let now = 0;
    const store = new MemoryRateStore({ now: () => now });
    const limits = [rateLimitPerIp(2, { per: '10s', store })];
    expect(await checkRateLimits(limits, info, () => {})).toBeUndefined();
    now = 1_000;
    expect(await checkRateLimits(limits, info, () => {})).toBeUndefined();
    now = 2_500;
    const refused = (await checkRateLimits(limits, info, () => {})) as Rejection;
    expect([refused.status, refused.code, refused.headers['Retry-After']]).toEqual([429, 'RATE_LIMITED', 8]);
  });

  it('reports a store error and, per onStoreError, refuses with 503 or lets the attempt through', async () => {
    const down = {
      hit: () => {
        throw new Error('store down');
      },
    };
    const reported: unknown[] = [];
    const closed = await checkRateLimits([rateLimitPerKey(1, () => 'k', { store: down })], info, (e) =>
      reported.push(e),
    );
    expect((closed as Rejection).code).toBe('STORE_UNAVAILABLE');
    const open = await checkRateLimits(
      [rateLimitPerKey(1, () => 'k', { store: down, onStoreError: 'fail-open' })],
      info,
      (e) => reported.push(e),
    );
    expect(open).toBeUndefined();
    expect(reported).toHaveLength(2);
  });
});

describe('options', () => {
  it.each([
    [() => quotaPerIp(5, { stor: new MemoryLeaseStore() } as never), /quotaPerIp: unknown option "stor"/],
    [() => quotaPerIp(5, { store: {} as never }), /quotaPerIp: option "store" must be a LeaseStore/],
    [
      () => quotaPerKey(5, () => 'k', { onStoreError: 'open' as never }),
      /option "onStoreError" must be 'fail-open' or 'fail-closed'/,
    ],
    [() => quotaPerRoute(5, { storeTimeout: 0 }), /option "storeTimeout" must be a positive number/],
    [() => quotaPerIp(5, { retryAfter: Number.NaN }), /option "retryAfter" must be a positive number of seconds/],
    [() => quotaPerIp(0), /quotaPerIp\(limit\): limit must be a positive integer/],
    [
      () => rateLimitPerIp(5, { store: new MemoryLeaseStore() as never }),
      /rateLimitPerIp: option "store" must be a RateStore/,
    ],
    [() => rateLimitPerIp(5, { per: '1 second' }), /option "per" must be a positive number of milliseconds/],
    [() => rateLimitPerKey(5, () => 'k', { storeTimout: 5 } as never), /rateLimitPerKey: unknown option "storeTimout"/],
    [() => quotaPerIp(5, null as never), /quotaPerIp: options must be an object/],
  ])('%#: a TypeError that names the option', (make, message) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('reads windows as whole milliseconds', () => {
    expect([
      parseDuration('x', '1s'),
      parseDuration('x', '1.5ms'),
      parseDuration('x', 0.2),
      parseDuration('x', '2m'),
    ]).toEqual([1_000, 2, 1, 120_000]);
  });
});
