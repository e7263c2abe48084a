/**
 * The in-memory admission stores: one process's counts, the embedded default. A process that dies takes
 * its counts with it, so leases here never need to expire.
 */

import type { Lease, LeaseStore, RateStore, RateVerdict } from './stores.js';

/** Connection slots per key in this process's memory; a key's entry disappears when its last lease is released. */
export class MemoryLeaseStore implements LeaseStore {
  readonly #held = new Map<string, number>();
  #next = 0;

  acquire(key: string, limit: number): Lease | undefined {
    const held = this.#held.get(key) ?? 0;
    if (held >= limit) return undefined;
    this.#held.set(key, held + 1);
    return { key, id: String(++this.#next) };
  }

  release(lease: Lease): void {
    const held = this.#held.get(lease.key) ?? 0;
    if (held <= 1) this.#held.delete(lease.key);
    else this.#held.set(lease.key, held - 1);
  }

  /** Leases held for `key` (0 when none), or in total. */
  held(key?: string): number {
    if (key !== undefined) return this.#held.get(key) ?? 0;
    let total = 0;
    for (const count of this.#held.values()) total += count;
    return total;
  }
}

/** An exact sliding-window log per key: at most `limit` timestamps kept, keys dropped when their window empties. */
export class MemoryRateStore implements RateStore {
  readonly #hits = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  hit(key: string, limit: number, windowMs: number): RateVerdict {
    const now = this.#now();
    const hits = this.#hits.get(key) ?? [];
    while (hits.length > 0 && (hits[0] as number) <= now - windowMs) hits.shift();
    if (hits.length >= limit) {
      return { allowed: false, retryAfterMs: (hits[0] as number) + windowMs - now };
    }
    hits.push(now);
    this.#hits.set(key, hits);
    this.#sweep(now, windowMs);
    return { allowed: true, retryAfterMs: 0 };
  }

  /** Drops keys whose newest hit left the window, now and then, so that one-off clients cost nothing for long. */
  #sweep(now: number, windowMs: number): void {
    if (this.#hits.size < 1024) return;
    for (const [key, hits] of this.#hits) {
      if ((hits[hits.length - 1] as number) <= now - windowMs) this.#hits.delete(key);
    }
  }
}
