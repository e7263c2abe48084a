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
  acquire(key: string, limit: number, options?: AcquireOptions): Lease | undefined | Promise<Lease | undefined>;
  /** Gives the slot back. Called once per lease; a store that cannot reach its backend lets the lease expire. */
  release(lease: Lease): void | Promise<void>;
}

export interface AcquireOptions {
  /** See `LimitBatch.onLost`: the store lost this lease, and the gate closes its connection (1013). */
  readonly onLost?: (lease: Lease) => void;
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

/** One rate limit of a batch: count an attempt on `key` (see `RateStore.hit`). */
export interface RateCheck {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** One quota of a batch: take one of `limit` slots of `key` (see `LeaseStore.acquire`). */
export interface LeaseCheck {
  readonly key: string;
  readonly limit: number;
}

/**
 * A route's limits on one store, decided together: the store answers for all of them at once (for
 * `@wsgate/redis`, one script, one round trip).
 */
export interface LimitBatch {
  readonly hits: readonly RateCheck[];
  readonly leases: readonly LeaseCheck[];
  /**
   * Called with a lease the store can no longer count (a partition outlived it and others took its slot):
   * the gate then closes the connection with 1013 "try again later" (RFC 6455 §7.4.1). At most once per lease.
   */
  readonly onLost?: (lease: Lease) => void;
}

/**
 * All or nothing. Allowed when every hit is under its limit *and* every lease fits: the attempt is counted
 * on every rate limit and one lease per quota is granted (in the batch's order). When a rate limit is spent,
 * nothing is counted or taken and `retryAfterMs` is the longest wait among the spent ones. When only a quota
 * is full, the attempt still counts on the rate limits (it was an attempt) and no lease is taken.
 */
export type BatchVerdict =
  | { readonly admitted: true; readonly leases: readonly Lease[] }
  | { readonly admitted: false; readonly refusedBy: 'rate'; readonly index: number; readonly retryAfterMs: number }
  | { readonly admitted: false; readonly refusedBy: 'lease'; readonly index: number };

/**
 * A store that can decide a route's rate limits and quotas in one call. Optional: the gate calls `hit` and
 * `acquire` one by one on a store without it. A route's rate limits on a store that also holds one of its
 * quotas are then decided with the quotas, after the hook (one call), rather than before the middleware.
 */
export interface BatchStore {
  admitBatch(batch: LimitBatch): BatchVerdict | Promise<BatchVerdict>;
}
