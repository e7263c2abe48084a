/**
 * The in-process `LeaseStore` and `RateStore`: exact, bounded, and free of timers. They serve one
 * process; `@wsgate/redis` implements the same interfaces across processes.
 */

import type { BatchStore, BatchVerdict, Lease, LeaseStore, LimitBatch, RateStore, RateVerdict } from './stores.js';

/**
 * Leases as a set of ids per key, so that a lease released twice (or a lease this store never gave)
 * changes nothing. A key's entry is deleted when its last lease is released. No expiry: the
 * process that holds the leases is the process that counts them.
 */
export class MemoryLeaseStore implements LeaseStore, BatchStore {
  readonly #leases = new Map<string, Set<string>>();
  #issued = 0;

  /** A route's quotas on this store, all or none, as a shared store's script does (it counts no rate limits). */
  admitBatch(batch: LimitBatch): BatchVerdict {
    if (batch.hits.length > 0) throw new TypeError('wsgate: a MemoryLeaseStore counts no rate limits');
    const leases: Lease[] = [];
    for (const [index, { key, limit }] of batch.leases.entries()) {
      const lease = this.acquire(key, limit);
      if (lease === undefined) {
        for (const taken of leases) this.release(taken);
        return { admitted: false, refusedBy: 'lease', index };
      }
      leases.push(lease);
    }
    return { admitted: true, leases };
  }

  acquire(key: string, limit: number): Lease | undefined {
    checkLimit(limit);
    const ids = this.#leases.get(key);
    if ((ids?.size ?? 0) >= limit) return undefined;
    const id = (++this.#issued).toString(36);
    if (ids === undefined) this.#leases.set(key, new Set([id]));
    else ids.add(id);
    return { key, id };
  }

  release(lease: Lease): void {
    const ids = this.#leases.get(lease.key);
    if (ids === undefined || !ids.delete(lease.id)) return;
    if (ids.size === 0) this.#leases.delete(lease.key);
  }

  /** Leases held for `key` (0 when none), or the total over all keys. */
  held(key?: string): number {
    if (key !== undefined) return this.#leases.get(key)?.size ?? 0;
    let total = 0;
    for (const ids of this.#leases.values()) total += ids.size;
    return total;
  }

  /** Keys with at least one lease. */
  get size(): number {
    return this.#leases.size;
  }
}

export interface MemoryRateStoreOptions {
  /** Milliseconds on a clock that never goes back. Default `performance.now()`; tests inject their own. */
  now?: () => number;
}

interface AttemptLog {
  /** The allowed attempts still in the window, oldest first; never more than the limit. */
  times: number[];
  /** The window the log was last written with: it is empty once `newest + windowMs` has passed. */
  windowMs: number;
}

/**
 * An exact sliding-window log: an attempt at `now` is allowed while fewer than `limit` allowed attempts
 * lie in `(now - windowMs, now]`. Memory stays bounded: a log keeps at most `limit` timestamps (a
 * refused attempt is not recorded), and the logs sit in the Map in the order of their newest attempt,
 * so each `hit` drops the logs at the front whose window has emptied, amortised O(1). With one window
 * for every key that order is the order of expiry; with several windows in one store, a log may wait
 * behind a longer-windowed one, at most the longest window.
 */
export class MemoryRateStore implements RateStore {
  readonly #logs = new Map<string, AttemptLog>();
  readonly #now: () => number;

  constructor(options: MemoryRateStoreOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  hit(key: string, limit: number, windowMs: number): RateVerdict {
    checkLimit(limit);
    if (!(windowMs > 0 && Number.isFinite(windowMs)))
      throw new TypeError(`wsgate: a rate window must be a positive number of milliseconds, got ${windowMs}`);
    const now = this.#now();
    this.#dropEmptyLogs(now);
    const log = this.#logs.get(key);
    if (log === undefined) {
      this.#logs.set(key, { times: [now], windowMs });
      return ALLOWED;
    }
    const { times } = log;
    times.splice(0, firstInWindow(times, now - windowMs));
    if (times.length >= limit) {
      // The attempt whose leaving brings the count under the limit; attempts older than it are
      // irrelevant to this limit, so they go (a log never holds more than `limit`).
      times.splice(0, times.length - limit);
      const oldest = times[0] as number;
      return { allowed: false, retryAfterMs: Math.ceil(oldest + windowMs - now) };
    }
    times.push(now);
    log.windowMs = windowMs;
    // Re-inserted at the back: the Map stays ordered by newest attempt.
    this.#logs.delete(key);
    this.#logs.set(key, log);
    return ALLOWED;
  }

  /** Allowed attempts of `key` in its window as of now (0 when none). */
  attempts(key: string): number {
    const log = this.#logs.get(key);
    if (log === undefined) return 0;
    return log.times.length - firstInWindow(log.times, this.#now() - log.windowMs);
  }

  /** Keys with a log; a log whose window has emptied is dropped at the next `hit` on any key. */
  get size(): number {
    return this.#logs.size;
  }

  #dropEmptyLogs(now: number): void {
    for (const [key, log] of this.#logs) {
      const newest = log.times[log.times.length - 1];
      if (newest !== undefined && newest + log.windowMs > now) return;
      this.#logs.delete(key);
    }
  }
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new TypeError(`wsgate: a limit must be a positive integer, got ${limit}`);
}

const ALLOWED: RateVerdict = Object.freeze({ allowed: true, retryAfterMs: 0 });

/** Index of the first timestamp later than `cutoff` (the log is sorted; at most `limit` long). */
function firstInWindow(times: readonly number[], cutoff: number): number {
  let i = 0;
  while (i < times.length && (times[i] as number) <= cutoff) i++;
  return i;
}
