/**
 * Where admission limits keep their state: connection quotas hold *leases* (one per open connection),
 * handshake rate limits count *hits*. The in-memory stores serve one process; `@wsgate/redis` shares
 * the same limits across processes and hosts.
 *
 * A shared store must survive a process that dies while holding slots: a lease expires unless the
 * process that holds it renews it. Renewal is the store's business (one batched heartbeat per process,
 * not a timer per connection), so the gate only ever acquires and releases.
 */

/** One slot of a quota, held from the handshake until the connection closes. */
export interface Lease {
  /** The quota key the slot belongs to (e.g. `user:42`). */
  readonly key: string;
  /** Unique among the key's leases, across every process sharing the store. */
  readonly id: string;
}

export interface LeaseStore {
  /**
   * Takes one of `limit` slots of `key`: the lease, or undefined when `limit` leases are held.
   * Throws (or rejects) when the store cannot answer, e.g. Redis is down: the quota's own
   * `onStoreError` decides what that means for the handshake.
   */
  acquire(key: string, limit: number): Lease | undefined | Promise<Lease | undefined>;
  /** Gives the slot back. Called once per lease; a store that cannot reach its backend lets the lease expire. */
  release(lease: Lease): void | Promise<void>;
}

/** A rate limit's answer for one attempt. */
export interface RateVerdict {
  readonly allowed: boolean;
  /** When refused, how long until an attempt would be allowed (for Retry-After); 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface RateStore {
  /**
   * Counts one attempt on `key`, allowed while no more than `limit` attempts fall in the sliding window
   * of the last `windowMs` milliseconds; a refused attempt is not counted. Throws (or rejects) when the
   * store cannot answer.
   */
  hit(key: string, limit: number, windowMs: number): RateVerdict | Promise<RateVerdict>;
}
