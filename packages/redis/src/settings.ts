/**
 * The store's options, checked once when it is made: a bad one is a TypeError that names it.
 */

import { isClusterClient, type RedisClient } from './client.js';
import type { RedisStoreError } from './errors.js';

export interface RedisStoreOptions {
  /** An ioredis or node-redis client, configured and connected by you. The store never closes it. */
  client: RedisClient;
  /** Prepended to every key. Default `'{wsgate}:'`: the braces are a Redis Cluster hash tag, which puts
   * every key of the store in one slot (each script touches one slot); a cluster client needs one. */
  prefix?: string;
  /** A lease of an open connection that Redis let expire (a partition, a stall past leaseMs) while others
   * took its slot: `'close'` (default) leaves it out and has the gate close its connection with 1013 "try
   * again later"; `'keep'` puts it back over the limit and keeps the connection. Both report it to onError. */
  onLeaseLost?: 'close' | 'keep';
  /** How long a lease outlives its holder's last renewal: the slot of a crashed process comes back
   * after at most this. Default 15,000 ms. */
  leaseMs?: number;
  /** The heartbeat's period; below leaseMs, so that a renewal or two may fail without losing leases.
   * Default leaseMs / 3. */
  renewEveryMs?: number;
  /** A command without an answer after this rejects with REDIS_TIMEOUT. Default 1,000 ms. */
  timeoutMs?: number;
  /** What nobody awaits: heartbeat errors, leases put back, failed releases, the client's first error
   * of an outage. Default: `process.emitWarning`. */
  onError?: (error: RedisStoreError) => void;
}

export interface RedisStoreSettings {
  readonly client: RedisClient;
  readonly prefix: string;
  readonly onLeaseLost: 'close' | 'keep';
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  readonly timeoutMs: number;
  readonly onError: (error: RedisStoreError) => void;
}

/** The options with their defaults, or a TypeError naming the first bad one. */
export function redisStoreSettings(options: RedisStoreOptions): RedisStoreSettings {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('wsgate/redis: createRedisStore needs an options object with a client');
  const prefix = options.prefix ?? '{wsgate}:';
  if (typeof prefix !== 'string') throw new TypeError('wsgate/redis: the prefix option must be a string');
  if (isClusterClient(options.client) && !/\{[^}]+\}/.test(prefix))
    throw new TypeError(
      `wsgate/redis: with a Redis Cluster client the prefix option needs a hash tag such as '{wsgate}:', got ${JSON.stringify(prefix)}`,
    );
  const onLeaseLost = options.onLeaseLost ?? 'close';
  if (onLeaseLost !== 'close' && onLeaseLost !== 'keep')
    throw new TypeError(`wsgate/redis: the onLeaseLost option must be 'close' or 'keep', got ${String(onLeaseLost)}`);
  const leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 15_000);
  const renewEveryMs = positiveInteger('renewEveryMs', options.renewEveryMs ?? Math.max(1, Math.floor(leaseMs / 3)));
  if (renewEveryMs >= leaseMs)
    throw new TypeError(`wsgate/redis: renewEveryMs (${renewEveryMs}) must be below leaseMs (${leaseMs})`);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 1_000);
  const onError = options.onError ?? ((error: RedisStoreError) => process.emitWarning(error));
  if (typeof onError !== 'function') throw new TypeError('wsgate/redis: the onError option must be a function');
  return { client: options.client, prefix, onLeaseLost, leaseMs, renewEveryMs, timeoutMs, onError };
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new TypeError(`wsgate/redis: the ${name} option must be a positive integer of milliseconds, got ${value}`);
  return value;
}
