import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryLeaseStore, MemoryRateStore } from '../../src/policy/memory-stores.js';
import type { Lease, LeaseStore, RateStore } from '../../src/policy/stores.js';

// Both satisfy the shared interfaces (a type error here fails `pnpm lint`).
const _lease: LeaseStore = new MemoryLeaseStore();
const _rate: RateStore = new MemoryRateStore();
void _lease;
void _rate;

describe('MemoryLeaseStore', () => {
  it('admits up to the limit per key, frees a slot on release, and deletes a key at zero', () => {
    const store = new MemoryLeaseStore();
    const a1 = store.acquire('a', 2);
    const a2 = store.acquire('a', 2);
    expect(a1).toBeDefined();
    expect(a2).toBeDefined();
    expect(store.acquire('a', 2)).toBeUndefined();
    const b1 = store.acquire('b', 2); // keys are independent
    expect(b1).toEqual({ key: 'b', id: expect.any(String) });
    expect([store.held('a'), store.held('b'), store.held(), store.size]).toEqual([2, 1, 3, 2]);
    store.release(a1!);
    expect(store.held('a')).toBe(1);
    expect(store.acquire('a', 2)).toBeDefined();
    store.release(b1!);
    expect([store.held('b'), store.size]).toEqual([0, 1]);
  });

  it('ignores a lease released twice and a lease it never gave', () => {
    const store = new MemoryLeaseStore();
    const first = store.acquire('k', 2)!;
    store.acquire('k', 2);
    store.release(first);
    store.release(first);
    store.release({ key: 'k', id: 'not-ours' });
    store.release({ key: 'other', id: first.id });
    expect(store.held('k')).toBe(1);
    expect(store.acquire('k', 2)).toBeDefined();
    expect(store.acquire('k', 2)).toBeUndefined();
  });

  it('hands out unique ids', () => {
    const store = new MemoryLeaseStore();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const lease = store.acquire(`k${i % 3}`, 1000)!;
      store.release(lease); // ids stay unique after release
      ids.add(lease.id);
    }
    expect(ids.size).toBe(1000);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses limit %s with a TypeError', (limit) => {
    expect(() => new MemoryLeaseStore().acquire('k', limit)).toThrow(TypeError);
  });

  it('matches a model for any sequence of acquires and releases, double releases included', () => {
    const op = fc.oneof(
      fc.record({ acquire: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ release: fc.nat() }), // an index into every lease ever granted: released ones too
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (limit, ops) => {
        const store = new MemoryLeaseStore();
        const model = new Map<string, Set<string>>();
        const granted: Lease[] = [];
        for (const o of ops) {
          if ('acquire' in o) {
            const key = `k${o.acquire}`;
            const lease = store.acquire(key, limit);
            const held = model.get(key) ?? new Set();
            if (held.size >= limit) expect(lease).toBeUndefined();
            else {
              expect(lease?.key).toBe(key);
              expect(granted.some((g) => g.id === lease!.id)).toBe(false);
              held.add(lease!.id);
              model.set(key, held);
              granted.push(lease!);
            }
          } else if (granted.length > 0) {
            const lease = granted[o.release % granted.length]!;
            store.release(lease);
            model.get(lease.key)?.delete(lease.id);
            if (model.get(lease.key)?.size === 0) model.delete(lease.key);
          }
          let total = 0;
          for (const [key, held] of model) {
            expect(store.held(key)).toBe(held.size);
            expect(held.size).toBeLessThanOrEqual(limit);
            total += held.size;
          }
          expect(store.held()).toBe(total);
          expect(store.size).toBe(model.size);
        }
      }),
    );
  });
});

/** A store on a clock the test moves by hand. */
function rateStoreAt(start = 0) {
  const clock = { now: start };
  return { clock, store: new MemoryRateStore({ now: () => clock.now }) };
}

describe('MemoryRateStore', () => {
  it('allows exactly the limit in any window and says exactly when to retry', () => {
    // [time, allowed, retryAfterMs] for limit 3, window 1000: an attempt at t is in the window of
    // `now` while now - t < 1000.
    const steps: Array<[number, boolean, number]> = [
      [0, true, 0],
      [100, true, 0],
      [200, true, 0],
      [300, false, 700],
      [999, false, 1],
      [1000, true, 0], // the attempt at 0 has left
      [1000, false, 100],
      [1100, true, 0],
      [1200, true, 0],
      [1201, false, 799],
    ];
    const { clock, store } = rateStoreAt();
    for (const [time, allowed, retryAfterMs] of steps) {
      clock.now = time;
      expect([time, store.hit('ip:1', 3, 1000)]).toEqual([time, { allowed, retryAfterMs }]);
    }
  });

  it('does not count refused attempts', () => {
    const { clock, store } = rateStoreAt();
    store.hit('k', 1, 100);
    for (clock.now = 1; clock.now < 100; clock.now++) expect(store.hit('k', 1, 100).allowed).toBe(false);
    clock.now = 100;
    expect(store.hit('k', 1, 100)).toEqual({ allowed: true, retryAfterMs: 0 });
    expect(store.attempts('k')).toBe(1);
  });

  it('rounds the wait up on a fractional clock, so that retrying after it is allowed', () => {
    const { clock, store } = rateStoreAt(0.4);
    store.hit('k', 1, 10);
    clock.now = 2.9;
    const { retryAfterMs } = store.hit('k', 1, 10);
    expect(retryAfterMs).toBe(8); // 0.4 + 10 - 2.9 = 7.5
    clock.now += retryAfterMs;
    expect(store.hit('k', 1, 10).allowed).toBe(true);
  });

  it('drops a key once its window is empty, at the next hit on any key', () => {
    const { clock, store } = rateStoreAt();
    store.hit('a', 5, 100);
    store.hit('b', 5, 100);
    clock.now = 50;
    store.hit('a', 5, 100);
    expect(store.size).toBe(2);
    clock.now = 100; // b's window is empty, a's is not
    store.hit('c', 5, 100);
    expect([store.size, store.attempts('a'), store.attempts('b')]).toEqual([2, 1, 0]);
    clock.now = 150;
    store.hit('c', 5, 100);
    expect(store.size).toBe(1);
  });

  it('keeps no more timestamps than the current limit when a key is used with a smaller limit', () => {
    const { clock, store } = rateStoreAt();
    for (; clock.now < 5; clock.now++) store.hit('k', 5, 100);
    expect(store.hit('k', 2, 100)).toEqual({ allowed: false, retryAfterMs: 98 }); // the 2nd-newest, at 3, decides
    expect(store.attempts('k')).toBe(2);
  });

  it.each([
    [0, 1000],
    [1.5, 1000],
    [3, 0],
    [3, -5],
    [3, Number.NaN],
    [3, Number.POSITIVE_INFINITY],
  ])('refuses limit %s / window %s with a TypeError', (limit, windowMs) => {
    expect(() => new MemoryRateStore().hit('k', limit, windowMs)).toThrow(TypeError);
  });

  it('matches the definition for any sequence of attempts: never more than limit in a window, exact retryAfterMs', () => {
    const step = fc.record({ dt: fc.integer({ min: 0, max: 300 }), key: fc.integer({ min: 0, max: 2 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(step, { maxLength: 80 }),
        (limit, windowMs, steps) => {
          const { clock, store } = rateStoreAt(1_000_000);
          const allowedAt = new Map<string, number[]>(); // every allowed attempt, never trimmed
          const inWindow = (times: readonly number[], now: number) => times.filter((t) => now - t < windowMs).length;
          for (const { dt, key: k } of steps) {
            clock.now += dt;
            const key = `k${k}`;
            const times = allowedAt.get(key) ?? [];
            const verdict = store.hit(key, limit, windowMs);
            expect(verdict.allowed).toBe(inWindow(times, clock.now) < limit);
            if (verdict.allowed) {
              expect(verdict.retryAfterMs).toBe(0);
              times.push(clock.now);
              allowedAt.set(key, times);
            } else {
              // Exact: refused one millisecond earlier, allowed at now + retryAfterMs.
              expect(inWindow(times, clock.now + verdict.retryAfterMs)).toBeLessThan(limit);
              expect(inWindow(times, clock.now + verdict.retryAfterMs - 1)).toBe(limit);
            }
            expect(store.attempts(key)).toBe(inWindow(times, clock.now));
            expect(store.attempts(key)).toBeLessThanOrEqual(limit);
            // One window for every key: exactly the keys with an attempt in their window are kept.
            const live = [...allowedAt.values()].filter((ts) => inWindow(ts, clock.now) > 0).length;
            expect(store.size).toBe(live);
          }
          for (const times of allowedAt.values())
            for (const t of times)
              expect(
                inWindow(
                  times.filter((u) => u <= t),
                  t,
                ),
              ).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });
});
