/**
 * Connection quotas: at most `limit` open connections per key (client IP, a key of your choosing such as
 * the user id, or the route). Each admitted connection holds one lease per quota from its store until it
 * closes; a handshake that fails after taking them gives them back. The stores behind the interface in
 * stores.ts are this process's memory (the default) or a shared one such as `@wsgate/redis`.
 */

import type { UpgradeRequest } from '../protocol/request.js';
import { LIMIT_NAME, type LimitIdentity } from './limit-space.js';
import { MemoryLeaseStore } from './memory-stores.js';
import {
  applicationKey,
  checkLimit,
  checkStoreOptions,
  DEFAULT_STORE_TIMEOUT_MS,
  hasMethods,
  isPositiveNumber,
  type OnStoreError,
} from './store-call.js';
import type { LeaseStore } from './stores.js';

/** What a quota's key is computed from, once the hook has given the connection its context. */
export interface QuotaInfo<Context = unknown> {
  readonly request: UpgradeRequest;
  readonly route: string;
  /** The client's address: the framework's after trust-proxy in an adapter, the socket's peer on plain node:http. */
  readonly ip: string | undefined;
  readonly context: Context;
}

export interface Quota {
  readonly limit: number;
  /** The key this connection counts against, or undefined to skip this quota for it. */
  readonly key: (info: QuotaInfo) => string | undefined;
  readonly store: LeaseStore;
  /** Seconds suggested in Retry-After when the quota is full. */
  readonly retryAfter: number;
  /** What a store that fails or times out means: refuse (503 STORE_UNAVAILABLE, the default) or admit. */
  readonly onStoreError: OnStoreError;
  /** Milliseconds a store call may take. */
  readonly storeTimeout: number;
  /** The limit's own key space (see limit-space.ts): its `name` option, else derived where the route is compiled. */
  readonly space: LimitIdentity;
}

export interface QuotaOptions {
  store?: LeaseStore;
  /** The limit's key space: limits with the same name share their counts, on any route; by default each
   * limit has its own. Letters, digits, `_ . -`. */
  name?: string;
  retryAfter?: number;
  onStoreError?: OnStoreError;
  storeTimeout?: number;
}

/** Per client IP address (the framework's `req.ip` / `ctx.ip` / `request.ip`; the socket's peer on plain node:http). */
export function quotaPerIp(limit: number, options: QuotaOptions = {}): Quota {
  return quota('quotaPerIp', limit, ({ ip }) => `ip:${ip ?? ''}`, options, '');
}

/** Per route: a cap on a route's open connections. */
export function quotaPerRoute(limit: number, options: QuotaOptions = {}): Quota {
  return quota('quotaPerRoute', limit, ({ route }) => `route:${route}`, options, '');
}

/** Per key of your choosing, with the hook's context, e.g. `({ context }) => context.userId`. */
export function quotaPerKey<Context>(
  limit: number,
  key: (info: QuotaInfo<Context>) => string | undefined,
  options: QuotaOptions = {},
): Quota {
  return quota('quotaPerKey', limit, applicationKey('quotaPerKey', key as Quota['key']), options, String(key));
}

const QUOTA_OPTIONS = {
  store: [
    'a LeaseStore (acquire and release), e.g. createRedisStore(...)',
    (v: unknown) => hasMethods(v, 'acquire', 'release'),
  ],
  retryAfter: ['a positive number of seconds', isPositiveNumber],
  name: LIMIT_NAME,
} as const;

function quota(name: string, limit: number, key: Quota['key'], options: QuotaOptions, keySource: string): Quota {
  checkLimit(name, limit);
  checkStoreOptions(name, options, QUOTA_OPTIONS);
  return {
    space: { factory: name, name: options.name, keySource, windowMs: 0 },
    limit,
    key,
    store: options.store ?? new MemoryLeaseStore(),
    retryAfter: options.retryAfter ?? 1,
    onStoreError: options.onStoreError ?? 'fail-closed',
    storeTimeout: options.storeTimeout ?? DEFAULT_STORE_TIMEOUT_MS,
  };
}
