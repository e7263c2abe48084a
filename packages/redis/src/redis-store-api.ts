/** What `createRedisStore` returns, and what its `stats()` count. */

import type {
  AcquireOptions,
  BatchStore,
  BatchVerdict,
  Lease,
  LeaseStore,
  LimitBatch,
  RateStore,
  RateVerdict,
} from './store-types.js';

export interface RedisStoreStats {
  /** Leases this store holds and renews. */
  readonly leasesHeld: number;
  /** Commands sent to Redis, each one round trip (a heartbeat's batches travel together). */
  readonly commands: number;
  /** Heartbeats run (each renews every lease held). */
  readonly heartbeats: number;
  /** Leases a heartbeat found missing or expired in Redis and put back within their limits. */
  readonly leasesRestored: number;
  /** Leases a heartbeat found expired with their slots taken: left out, their connections closed. */
  readonly leasesLost: number;
  /** Leases a heartbeat found expired with their slots taken and put back over the limit ('keep'). */
  readonly leasesOverLimit: number;
  /** Scripts loaded after a NOSCRIPT. */
  readonly scriptLoads: number;
  /** The heartbeat's timer runs only while leases are held. */
  readonly heartbeatActive: boolean;
}

export interface RedisStore extends LeaseStore, RateStore, BatchStore {
  acquire(key: string, limit: number, options?: AcquireOptions): Promise<Lease | undefined>;
  /** Queued and sent with the other releases of the same turn of the event loop. Never rejects: when
   * Redis cannot be reached, the lease, no longer renewed, expires after leaseMs. */
  release(lease: Lease): Promise<void>;
  hit(key: string, limit: number, windowMs: number): Promise<RateVerdict>;
  /** Rate limits and quotas in one script call (see `LimitBatch` in @wsgate/core). */
  admitBatch(batch: LimitBatch): Promise<BatchVerdict>;
  /** Runs the heartbeat now (the timer runs it every renewEveryMs; not after close); failures go to onError. */
  renew(): Promise<void>;
  /** Stops the heartbeat and unhooks from the client; with `release: true` also gives back every
   * lease held (for a graceful shutdown; without it they expire after leaseMs). Idempotent. */
  close(options?: { release?: boolean }): Promise<void>;
  stats(): RedisStoreStats;
}
