/**
 * Handshake rate limits: at most `limit` handshake attempts per key within a sliding window. They run as
 * soon as the route is known, before the route's own middleware and the hook, so that a flood costs as
 * little as possible; the answer is 429 RATE_LIMITED with Retry-After.
 */

import { type Rejection, reject } from '../protocol/rejection.js';
import type { UpgradeRequest } from '../protocol/request.js';
import { MemoryRateStore } from './memory-stores.js';
import {
  applicationKey,
  callStore,
  checkLimit,
  checkStoreOptions,
  DEFAULT_STORE_TIMEOUT_MS,
  hasMethods,
  type OnStoreError,
} from './store-call.js';
import type { RateStore } from './stores.js';

/** What a rate limit's key is computed from: the request before any hook ran. */
export interface RateInfo {
  readonly request: UpgradeRequest;
  readonly route: string;
  /** The client's address: the framework's after trust-proxy in an adapter, the socket's peer on plain node:http. */
  readonly ip: string | undefined;
}

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
  readonly key: (info: RateInfo) => string | undefined;
  readonly store: RateStore;
  readonly onStoreError: OnStoreError;
  readonly storeTimeout: number;
}

export interface RateLimitOptions {
  /** The window: milliseconds, or a duration such as `'1s'`, `'500ms'`, `'1m'`. Default `'1s'`. */
  per?: number | string;
  store?: RateStore;
  onStoreError?: OnStoreError;
  storeTimeout?: number;
}

/** At most `limit` handshakes per client IP per window (the framework's client IP; the peer on plain node:http). */
export function rateLimitPerIp(limit: number, options: RateLimitOptions = {}): RateLimit {
  return rateLimit('rateLimitPerIp', limit, ({ ip }) => `ip:${ip ?? ''}`, options);
}

/** At most `limit` handshakes per key of your choosing per window, e.g. an API key header. */
export function rateLimitPerKey(
  limit: number,
  key: (info: RateInfo) => string | undefined,
  options: RateLimitOptions = {},
): RateLimit {
  return rateLimit('rateLimitPerKey', limit, applicationKey('rateLimitPerKey', key), options);
}

const RATE_LIMIT_OPTIONS = {
  per: [
    "a number of milliseconds or a duration like '1s'",
    (v: unknown) => typeof v === 'number' || typeof v === 'string',
  ],
  store: ['a RateStore (hit), e.g. createRedisStore(...)', (v: unknown) => hasMethods(v, 'hit')],
} as const;

function rateLimit(name: string, limit: number, key: RateLimit['key'], options: RateLimitOptions): RateLimit {
  checkLimit(name, limit);
  checkStoreOptions(name, options, RATE_LIMIT_OPTIONS);
  return {
    limit,
    windowMs: parseDuration(name, options.per ?? '1s'),
    key,
    store: options.store ?? new MemoryRateStore(),
    onStoreError: options.onStoreError ?? 'fail-closed',
    storeTimeout: options.storeTimeout ?? DEFAULT_STORE_TIMEOUT_MS,
  };
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `'1s'`, `'250ms'`, `'1m'`, `'1h'`, or a number of milliseconds; whole milliseconds (a shared store counts in them). */
export function parseDuration(name: string, value: number | string): number {
  const match = typeof value === 'string' ? DURATION.exec(value.trim()) : undefined;
  const ms =
    typeof value === 'number' ? value : match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new TypeError(
      `wsgate: ${name}: option "per" must be a positive number of milliseconds or a duration like '1s', got ${JSON.stringify(value)}`,
    );
  }
  return Math.ceil(ms);
}

/**
 * Counts this attempt against every limit; the first that is over refuses with 429 and its Retry-After.
 * A store error is reported through `report` and, per the limit's `onStoreError`, refuses (503) or skips it.
 */
export async function checkRateLimits(
  limits: readonly RateLimit[],
  info: RateInfo,
  report: (error: unknown) => void,
): Promise<Rejection | undefined> {
  const keys = limits.map((limit) => limit.key(info));
  for (const [i, limit] of limits.entries()) {
    const key = keys[i];
    if (key === undefined) continue;
    const answer = await callStore(
      () => limit.store.hit(key, limit.limit, limit.windowMs),
      limit.storeTimeout,
      () => {},
    );
    if (!answer.ok) {
      report(answer.error);
      if (limit.onStoreError === 'fail-closed') return reject.storeUnavailable;
    } else if (!answer.value.allowed) {
      return reject.rateLimited(answer.value.retryAfterMs / 1000);
    }
  }
  return undefined;
}
