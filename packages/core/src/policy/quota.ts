/**
 * Connection quotas: at most `limit` open connections per key (client IP, a key of your choosing such as
 * the user id, or the route). Each admitted connection holds one lease per quota from its store until it
 * closes; a handshake that fails after taking them gives them back. The stores behind the interface in
 * stores.ts are this process's memory (the default) or a shared one such as `@wsgate/redis`.
 */

import { type Rejection, reject } from '../protocol/rejection.js';
import type { UpgradeRequest } from '../protocol/request.js';
import { MemoryLeaseStore } from './memory-stores.js';
import {
  applicationKey,
  callStore,
  checkLimit,
  checkStoreOptions,
  DEFAULT_STORE_TIMEOUT_MS,
  hasMethods,
  isPositiveNumber,
  type OnStoreError,
  type StoreResult,
} from './store-call.js';
import type { Lease, LeaseStore } from './stores.js';

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
}

export interface QuotaOptions {
  store?: LeaseStore;
  retryAfter?: number;
  onStoreError?: OnStoreError;
  storeTimeout?: number;
}

/** Per client IP address (the framework's `req.ip` / `ctx.ip` / `request.ip`; the socket's peer on plain node:http). */
export function quotaPerIp(limit: number, options: QuotaOptions = {}): Quota {
  return quota('quotaPerIp', limit, ({ ip }) => `ip:${ip ?? ''}`, options);
}

/** Per route: a cap on a route's open connections. */
export function quotaPerRoute(limit: number, options: QuotaOptions = {}): Quota {
  return quota('quotaPerRoute', limit, ({ route }) => `route:${route}`, options);
}

/** Per key of your choosing, with the hook's context, e.g. `({ context }) => context.userId`. */
export function quotaPerKey<Context>(
  limit: number,
  key: (info: QuotaInfo<Context>) => string | undefined,
  options: QuotaOptions = {},
): Quota {
  return quota('quotaPerKey', limit, applicationKey('quotaPerKey', key as Quota['key']), options);
}

const QUOTA_OPTIONS = {
  store: [
    'a LeaseStore (acquire and release), e.g. createRedisStore(...)',
    (v: unknown) => hasMethods(v, 'acquire', 'release'),
  ],
  retryAfter: ['a positive number of seconds', isPositiveNumber],
} as const;

function quota(name: string, limit: number, key: Quota['key'], options: QuotaOptions): Quota {
  checkLimit(name, limit);
  checkStoreOptions(name, options, QUOTA_OPTIONS);
  return {
    limit,
    key,
    store: options.store ?? new MemoryLeaseStore(),
    retryAfter: options.retryAfter ?? 1,
    onStoreError: options.onStoreError ?? 'fail-closed',
    storeTimeout: options.storeTimeout ?? DEFAULT_STORE_TIMEOUT_MS,
  };
}

/** Gives back every lease taken for one connection; safe to call more than once. */
export type Release = () => void;

/**
 * Takes every quota or none, all stores asked at once: on the first full one, what was taken is given
 * back and the answer is 429. A store error is reported through `report` and, per the quota's
 * `onStoreError`, refuses (503) or skips that quota. Every key is computed before any store is asked,
 * so that a key function that throws leaves nothing taken; a lease granted after the gate stopped
 * waiting for it (`storeTimeout`) is released when it arrives.
 */
export async function acquireQuotas(
  quotas: readonly Quota[],
  info: QuotaInfo,
  report: (error: unknown) => void,
): Promise<Release | Rejection> {
  const keys = quotas.map((q) => q.key(info));
  const answers = await Promise.all(
    quotas.map((q, i) => {
      const key = keys[i];
      if (key === undefined) return undefined;
      return callStore(
        () => q.store.acquire(key, q.limit),
        q.storeTimeout,
        (late) => late !== undefined && releaseQuietly(q.store, late),
      );
    }),
  );
  const held: Array<[LeaseStore, Lease]> = [];
  const errors: unknown[] = [];
  let refusal: Rejection | undefined;
  answers.forEach((answer: StoreResult<Lease | undefined> | undefined, i) => {
    const q = quotas[i] as Quota;
    if (answer === undefined) return;
    if (!answer.ok) {
      errors.push(answer.error);
      if (q.onStoreError === 'fail-closed') refusal ??= reject.storeUnavailable;
    } else if (answer.value === undefined) {
      refusal ??= reject.quotaExceeded(q.retryAfter);
    } else {
      held.push([q.store, answer.value]);
    }
  });
  const release: Release = () => {
    for (const [store, lease] of held.splice(0)) releaseQuietly(store, lease);
  };
  if (refusal !== undefined) release();
  try {
    for (const error of errors) report(error);
  } catch (error) {
    // An onError that throws is the application's bug, reported as such by the caller (500): not a leak.
    release();
    throw error;
  }
  return refusal ?? release;
}

/** A shared store that fails to release lets the lease expire; it must not become an unhandled rejection. */
function releaseQuietly(store: LeaseStore, lease: Lease): void {
  try {
    const released = store.release(lease);
    if (released !== undefined) released.catch(() => {});
  } catch {
    // as above
  }
}
