/**
 * Handshake rate limits: at most `limit` handshake attempts per key within a sliding window. They run as
 * soon as the route is known, before the route's own middleware and the hook, so that a flood costs as
 * little as possible; the answer is 429 RATE_LIMITED with Retry-After.
 */

import type { UpgradeRequest } from '../protocol/request.js';
import { LIMIT_NAME, type LimitIdentity } from './limit-space.js';
import { MemoryRateStore } from './memory-stores.js';
import {
  applicationKey,
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
  /** The limit's own key space (see limit-space.ts): its `name` option, else derived where the route is compiled. */
  readonly space: LimitIdentity;
}

export interface RateLimitOptions {
  /** The limit's key space: limits with the same name share their attempts, on any route; by default each
   * limit has its own. Letters, digits, `_ . -`. */
  name?: string;
  /** The window: milliseconds, or a duration such as `'1s'`, `'500ms'`, `'1m'`. Default `'1s'`. */
  per?: number | string;
  store?: RateStore;
  onStoreError?: OnStoreError;
  storeTimeout?: number;
}

/** At most `limit` handshakes per client IP per window (the framework's client IP; the peer on plain node:http). */
export function rateLimitPerIp(limit: number, options: RateLimitOptions = {}): RateLimit {
  return rateLimit('rateLimitPerIp', limit, ({ ip }) => `ip:${ip ?? ''}`, options, '');
}

/** At most `limit` handshakes per key of your choosing per window, e.g. an API key header. */
export function rateLimitPerKey(
  limit: number,
  key: (info: RateInfo) => string | undefined,
  options: RateLimitOptions = {},
): RateLimit {
  return rateLimit('rateLimitPerKey', limit, applicationKey('rateLimitPerKey', key), options, String(key));
}

const RATE_LIMIT_OPTIONS = {
  per: [
    "a number of milliseconds or a duration like '1s'",
    (v: unknown) => typeof v === 'number' || typeof v === 'string',
  ],
  store: ['a RateStore (hit), e.g. createRedisStore(...)', (v: unknown) => hasMethods(v, 'hit')],
  name: LIMIT_NAME,
} as const;

function rateLimit(
  name: string,
  limit: number,
  key: RateLimit['key'],
  options: RateLimitOptions,
  keySource: string,
): RateLimit {
  checkLimit(name, limit);
  checkStoreOptions(name, options, RATE_LIMIT_OPTIONS);
  const windowMs = parseDuration(name, options.per ?? '1s');
  return {
    space: { factory: name, name: options.name, keySource, windowMs },
    limit,
    windowMs,
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
