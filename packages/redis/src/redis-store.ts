/**
 * One object that is both a `LeaseStore` (connection quotas) and a `RateStore` (handshake rate
 * limits), shared by every process that points at the same Redis and prefix, and a `BatchStore`: a
 * route's rate limits and quotas on it are decided in one script call.
 *
 * Round trips: a handshake's limits at most 1 (admitBatch, or acquire, or hit), and releases none of
 * their own: both go in the store's one lane (call-queue.ts), whose call carries everything asked while
 * the one before it was in flight. The heartbeat renews every lease this process holds in one script call
 * per 1,000 leases, all sent at once. After a Redis restart (or SCRIPT FLUSH) a call that meets NOSCRIPT
 * costs one more (EVAL).
 */

import { randomBytes } from 'node:crypto';
import { checkKey, checkLimit, checkWindow, closed } from './arguments.js';
import { CallQueue } from './call-queue.js';
import { commandSender, guardErrorEvents } from './client.js';
import { Commands } from './commands.js';
import { RedisStoreError, toStoreError } from './errors.js';
import type { RedisStore, RedisStoreStats } from './redis-store-api.js';
import { type HeldLease, readRenewal, renewalReports } from './renewal.js';
import { ADMIT, RENEW } from './scripts.js';
import { type RedisStoreOptions, redisStoreSettings } from './settings.js';
import type { AcquireOptions, BatchVerdict, Lease, LimitBatch, RateVerdict } from './store-types.js';

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new SharedStore(options);
}

/** Leases renewed per script call: bounds how long one call keeps Redis busy. */
const BATCH = 1_000;
const ALLOWED: RateVerdict = Object.freeze({ allowed: true, retryAfterMs: 0 });

class SharedStore implements RedisStore {
  readonly #redis: Commands;
  readonly #calls: CallQueue;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #renewEveryMs: number;
  readonly #keepLost: boolean;
  readonly #onError: (error: RedisStoreError) => void;
  readonly #unguard: () => void;
  /** Random per store: lease ids and attempt ids are unique across every process sharing Redis. */
  readonly #processId = randomBytes(9).toString('base64url');
  #issued = 0;
  readonly #held = new Map<string, HeldLease>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #closed = false;
  #heartbeats = 0;
  #leasesRestored = 0;
  #leasesLost = 0;
  #leasesOverLimit = 0;

  constructor(options: RedisStoreOptions) {
    const settings = redisStoreSettings(options);
    const send = commandSender(settings.client);
    this.#prefix = settings.prefix;
    this.#leaseMs = settings.leaseMs;
    this.#renewEveryMs = settings.renewEveryMs;
    this.#keepLost = settings.onLeaseLost === 'keep';
    this.#redis = new Commands(send, settings.timeoutMs);
    this.#onError = settings.onError;
    this.#calls = new CallQueue({
      run: (keys, args) => this.#redis.eval(ADMIT, keys, args),
      leaseMs: this.#leaseMs,
      timeoutMs: settings.timeoutMs,
      onReleaseFailed: (error) => this.#report(toStoreError(error, 'release')),
    });
    // One report per outage: the client may report every failed reconnection.
    this.#unguard = guardErrorEvents(settings.client, (error) => {
      if (this.#redis.outage) return;
      this.#redis.outage = true;
      this.#report(toStoreError(error, 'the Redis client reported'));
    });
  }

  async admitBatch(batch: LimitBatch): Promise<BatchVerdict> {
    const { hits, leases } = batch;
    for (const hit of hits) {
      checkKey(hit.key);
      checkLimit(hit.limit);
      checkWindow(hit.windowMs);
    }
    for (const lease of leases) {
      checkKey(lease.key);
      checkLimit(lease.limit);
    }
    if (this.#closed) throw closed('admit');
    const call = this.#nextId();
    const granted = leases.map(({ key }, i): Lease => Object.freeze({ key, id: `${call}:${i + 1}` }));
    const keys = [...hits.map(({ key }) => this.#rateKey(key)), ...leases.map(({ key }) => this.#leaseKey(key))];
    const args = [String(hits.length), String(leases.length), call];
    for (const hit of hits) args.push(String(hit.limit), String(hit.windowMs));
    for (const lease of leases) args.push(String(lease.limit));
    const reply = await this.#redis.bounded(
      'admit',
      this.#calls.admit({ keys, args }),
      // Granted after the caller was told "timeout": nobody will release them, so give them back now.
      (late) => {
        if (Array.isArray(late) && late[0] === 0) void this.#forget(granted);
      },
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number')
      throw new RedisStoreError('REDIS_ERROR', `admit: unexpected reply ${JSON.stringify(reply)}`);
    if (reply[0] === 1) return { admitted: false, refusedBy: 'rate', index: reply[1], retryAfterMs: reply[2] };
    if (reply[0] === 2) return { admitted: false, refusedBy: 'lease', index: reply[1] };
    if (this.#closed && granted.length > 0) {
      void this.#forget(granted);
      throw closed('admit');
    }
    granted.forEach((lease, i) => {
      this.#held.set(lease.id, { lease, limit: (leases[i] as { limit: number }).limit, onLost: batch.onLost });
    });
    if (granted.length > 0) this.#startHeartbeat();
    return { admitted: true, leases: granted };
  }

  async acquire(key: string, limit: number, options: AcquireOptions = {}): Promise<Lease | undefined> {
    const verdict = await this.admitBatch({ hits: [], leases: [{ key, limit }], onLost: options.onLost });
    return verdict.admitted ? verdict.leases[0] : undefined;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateVerdict> {
    const verdict = await this.admitBatch({ hits: [{ key, limit, windowMs }], leases: [] });
    return verdict.admitted
      ? ALLOWED
      : { allowed: false, retryAfterMs: (verdict as { retryAfterMs: number }).retryAfterMs };
  }

  release(lease: Lease): Promise<void> {
    // Only leases this store holds: a second release, or a lease it never gave, sends nothing.
    if (typeof lease !== 'object' || lease === null) return Promise.resolve();
    const held = this.#held.get(lease.id);
    if (held === undefined || held.lease.key !== lease.key) return Promise.resolve();
    this.#held.delete(lease.id);
    if (this.#held.size === 0) this.#stopHeartbeat();
    // Off the handshake's path: it goes in the lane's next call, with whatever else is asked by then.
    return this.#forget([held.lease]);
  }

  renew(): Promise<void> {
    this.#renewing ??= this.#renewHeld().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async close(options: { release?: boolean } = {}): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    this.#unguard();
    await this.#renewing;
    await this.#calls.settled();
    if (options.release !== true) return;
    const leases = [...this.#held.values()].map((entry) => entry.lease);
    this.#held.clear();
    await this.#forget(leases);
  }

  stats(): RedisStoreStats {
    return {
      leasesHeld: this.#held.size,
      commands: this.#redis.sent,
      heartbeats: this.#heartbeats,
      leasesRestored: this.#leasesRestored,
      leasesLost: this.#leasesLost,
      leasesOverLimit: this.#leasesOverLimit,
      scriptLoads: this.#redis.scriptLoads,
      heartbeatActive: this.#timer !== undefined,
    };
  }

  async #renewHeld(): Promise<void> {
    const held = [...this.#held.values()];
    if (held.length === 0 || this.#closed) return; // after close, leases left held expire
    this.#heartbeats++;
    await Promise.all(
      chunks(held).map(async (batch) => {
        const keys = batch.map((entry) => this.#leaseKey(entry.lease.key));
        const args = [String(this.#leaseMs), this.#keepLost ? '1' : '0'];
        for (const entry of batch) args.push(entry.lease.id, String(entry.limit));
        try {
          // A renewal answered after timeoutMs (held up in a partition) is read all the same.
          const reply = await this.#redis.bounded('renew', this.#redis.eval(RENEW, keys, args), (late) =>
            this.#renewed(late, batch),
          );
          await this.#renewed(reply, batch);
        } catch (error) {
          this.#report(toStoreError(error, 'renew'));
        }
      }),
    );
  }

  async #renewed(reply: unknown, batch: readonly HeldLease[]): Promise<void> {
    let outcome: ReturnType<typeof readRenewal>;
    try {
      outcome = readRenewal(reply, batch, this.#held);
    } catch (error) {
      this.#report(toStoreError(error, 'renew'));
      return;
    }
    this.#leasesRestored += outcome.restored.length;
    this.#leasesLost += outcome.lost.length;
    this.#leasesOverLimit += outcome.over.length;
    if (this.#held.size === 0) this.#stopHeartbeat();
    for (const report of renewalReports(outcome)) this.#report(report);
    await this.#forget(outcome.stale);
  }

  /** Removes leases from Redis without tracking them, in the lane's next call; failures are reported. */
  #forget(leases: readonly Lease[]): Promise<void> {
    return this.#calls.remove(leases.map((lease) => ({ key: this.#leaseKey(lease.key), id: lease.id })));
  }

  #startHeartbeat(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.renew(), this.#renewEveryMs);
    this.#timer.unref(); // the server keeps the process alive, not the heartbeat
  }

  #stopHeartbeat(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #report(error: RedisStoreError): void {
    try {
      this.#onError(error);
    } catch {
      // A throwing onError runs inside a timer or a settled promise: crashing the server is worse.
    }
  }

  #nextId(): string {
    return `${this.#processId}:${(++this.#issued).toString(36)}`;
  }

  #leaseKey(key: string): string {
    return `${this.#prefix}lease:${key}`;
  }

  #rateKey(key: string): string {
    return `${this.#prefix}rate:${key}`;
  }
}

function chunks<T>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  return batches;
}
