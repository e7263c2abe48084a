/**
 * One object that is both a `LeaseStore` (connection quotas) and a `RateStore` (handshake rate
 * limits), shared by every process that points at the same Redis and prefix.
 *
 * Round trips: acquire 1, release 1, hit 1; the heartbeat renews every lease this process holds in
 * one script call per 1,000 leases, all sent at once. After a Redis restart (or SCRIPT FLUSH) the
 * first call of each script costs two more (NOSCRIPT, SCRIPT LOAD), once per script.
 */

import { randomBytes } from 'node:crypto';
import { commandSender, guardErrorEvents } from './client.js';
import { Commands } from './commands.js';
import { RedisStoreError, toStoreError } from './errors.js';
import { ACQUIRE, HIT, RENEW } from './scripts.js';
import { type RedisStoreOptions, redisStoreSettings } from './settings.js';
import type { Lease, LeaseStore, RateStore, RateVerdict } from './store-types.js';

export interface RedisStoreStats {
  /** Leases this store holds and renews. */
  readonly leasesHeld: number;
  /** Commands sent to Redis, each one round trip (a heartbeat's batches travel together). */
  readonly commands: number;
  /** Heartbeats run (each renews every lease held). */
  readonly heartbeats: number;
  /** Leases a heartbeat found missing or expired in Redis and put back. */
  readonly leasesRestored: number;
  /** Scripts loaded after a NOSCRIPT. */
  readonly scriptLoads: number;
  /** The heartbeat's timer runs only while leases are held. */
  readonly heartbeatActive: boolean;
}

export interface RedisStore extends LeaseStore, RateStore {
  acquire(key: string, limit: number): Promise<Lease | undefined>;
  /** Never rejects: when Redis cannot be reached, the lease, no longer renewed, expires after leaseMs. */
  release(lease: Lease): Promise<void>;
  hit(key: string, limit: number, windowMs: number): Promise<RateVerdict>;
  /** Runs the heartbeat now (the timer runs it every renewEveryMs; not after close); failures go to onError. */
  renew(): Promise<void>;
  /** Stops the heartbeat and unhooks from the client; with `release: true` also gives back every
   * lease held (for a graceful shutdown; without it they expire after leaseMs). Idempotent. */
  close(options?: { release?: boolean }): Promise<void>;
  stats(): RedisStoreStats;
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new SharedStore(options);
}

/** Leases renewed per script call: bounds how long one call keeps Redis busy. */
const RENEW_BATCH = 1_000;
const ALLOWED: RateVerdict = Object.freeze({ allowed: true, retryAfterMs: 0 });

class SharedStore implements RedisStore {
  readonly #redis: Commands;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #renewEveryMs: number;
  readonly #onError: (error: RedisStoreError) => void;
  readonly #unguard: () => void;
  /** Random per store: lease ids and attempt ids are unique across every process sharing Redis. */
  readonly #processId = randomBytes(9).toString('base64url');
  #issued = 0;
  readonly #held = new Map<string, Lease>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #closed = false;
  #heartbeats = 0;
  #leasesRestored = 0;

  constructor(options: RedisStoreOptions) {
    const settings = redisStoreSettings(options);
    const send = commandSender(settings.client);
    this.#prefix = settings.prefix;
    this.#leaseMs = settings.leaseMs;
    this.#renewEveryMs = settings.renewEveryMs;
    this.#redis = new Commands(send, settings.timeoutMs);
    this.#onError = settings.onError;
    // One report per outage: the client may report every failed reconnection.
    this.#unguard = guardErrorEvents(settings.client, (error) => {
      if (this.#redis.outage) return;
      this.#redis.outage = true;
      this.#report(toStoreError(error, 'the Redis client reported'));
    });
  }

  async acquire(key: string, limit: number): Promise<Lease | undefined> {
    checkKey(key);
    checkLimit(limit);
    if (this.#closed) throw closed('acquire');
    const lease: Lease = Object.freeze({ key, id: this.#nextId() });
    const args = [String(limit), String(this.#leaseMs), lease.id];
    const granted = await this.#redis.bounded(
      'acquire',
      this.#redis.eval(ACQUIRE, [this.#leaseKey(key)], args).then((reply) => reply === 1),
      // Granted after the caller was told "timeout": nobody will release it, so give it back now.
      (late) => {
        if (late) void this.#forget([lease]);
      },
    );
    if (!granted) return undefined;
    if (this.#closed) {
      void this.#forget([lease]);
      throw closed('acquire');
    }
    this.#held.set(lease.id, lease);
    this.#startHeartbeat();
    return lease;
  }

  async release(lease: Lease): Promise<void> {
    // Only leases this store holds: a second release, or a lease it never gave, sends nothing.
    if (typeof lease !== 'object' || lease === null) return;
    const held = this.#held.get(lease.id);
    if (held === undefined || held.key !== lease.key) return;
    this.#held.delete(lease.id);
    if (this.#held.size === 0) this.#stopHeartbeat();
    try {
      await this.#redis.bounded('release', this.#redis.send(['ZREM', this.#leaseKey(lease.key), lease.id]));
    } catch (error) {
      this.#report(toStoreError(error, 'release'));
    }
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateVerdict> {
    checkKey(key);
    checkLimit(limit);
    if (!Number.isInteger(windowMs) || windowMs < 1)
      throw new TypeError(`wsgate/redis: a rate window must be a positive integer of milliseconds, got ${windowMs}`);
    if (this.#closed) throw closed('hit');
    const args = [String(limit), String(windowMs), this.#nextId()];
    const reply = await this.#redis.bounded('hit', this.#redis.eval(HIT, [`${this.#prefix}rate:${key}`], args));
    if (!Array.isArray(reply) || typeof reply[1] !== 'number')
      throw new RedisStoreError('REDIS_ERROR', `hit: unexpected reply ${JSON.stringify(reply)}`);
    return reply[0] === 1 ? ALLOWED : { allowed: false, retryAfterMs: reply[1] };
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
    if (options.release !== true) return;
    const leases = [...this.#held.values()];
    this.#held.clear();
    await this.#forget(leases);
  }

  stats(): RedisStoreStats {
    return {
      leasesHeld: this.#held.size,
      commands: this.#redis.sent,
      heartbeats: this.#heartbeats,
      leasesRestored: this.#leasesRestored,
      scriptLoads: this.#redis.scriptLoads,
      heartbeatActive: this.#timer !== undefined,
    };
  }

  async #renewHeld(): Promise<void> {
    const leases = [...this.#held.values()];
    if (leases.length === 0 || this.#closed) return; // after close, leases left held expire
    this.#heartbeats++;
    const batches: Lease[][] = [];
    for (let i = 0; i < leases.length; i += RENEW_BATCH) batches.push(leases.slice(i, i + RENEW_BATCH));
    await Promise.all(
      batches.map(async (batch) => {
        const keys = batch.map((lease) => this.#leaseKey(lease.key));
        const args = [String(this.#leaseMs), ...batch.map((lease) => lease.id)];
        try {
          const restored = await this.#redis.bounded('renew', this.#redis.eval(RENEW, keys, args));
          if (!Array.isArray(restored)) throw new RedisStoreError('REDIS_ERROR', `renew: unexpected reply ${restored}`);
          await this.#restored(restored.map((index: number) => batch[index - 1] as Lease));
        } catch (error) {
          this.#report(toStoreError(error, 'renew'));
        }
      }),
    );
  }

  /**
   * Leases the heartbeat put back. One released while the heartbeat was under way (possible when its
   * script had to be reloaded first) is not ours any more: it is removed again.
   */
  async #restored(leases: readonly Lease[]): Promise<void> {
    if (leases.length === 0) return;
    const released = leases.filter((lease) => this.#held.get(lease.id) !== lease);
    const restored = leases.filter((lease) => this.#held.get(lease.id) === lease);
    if (restored.length > 0) {
      this.#leasesRestored += restored.length;
      this.#report(
        new RedisStoreError(
          'REDIS_LEASE_RESTORED',
          `${restored.length} lease(s) of open connections were missing or expired in Redis and were put back`,
          { leases: restored },
        ),
      );
    }
    await this.#forget(released);
  }

  /** Removes leases from Redis without tracking them, one ZREM per key; failures are reported. */
  async #forget(leases: readonly Lease[]): Promise<void> {
    const byKey = new Map<string, string[]>();
    for (const lease of leases) {
      const ids = byKey.get(lease.key);
      if (ids === undefined) byKey.set(lease.key, [lease.id]);
      else ids.push(lease.id);
    }
    await Promise.all(
      [...byKey].map(async ([key, ids]) => {
        try {
          await this.#redis.bounded('release', this.#redis.send(['ZREM', this.#leaseKey(key), ...ids]));
        } catch (error) {
          this.#report(toStoreError(error, 'release'));
        }
      }),
    );
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
}

function checkKey(key: string): void {
  if (typeof key !== 'string') throw new TypeError(`wsgate/redis: a key must be a string, got ${typeof key}`);
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new TypeError(`wsgate/redis: a limit must be a positive integer, got ${limit}`);
}

function closed(doing: string): RedisStoreError {
  return new RedisStoreError('REDIS_STORE_CLOSED', `${doing}: the store is closed`);
}
