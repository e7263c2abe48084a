/**
 * Calling an admission store (quotas, rate limits) from a handshake: a store on another machine may be
 * down or slow, and neither may hang a handshake past its deadline or crash the process. The app chooses,
 * per limit, what an unanswered call means: `'fail-closed'` (the default: refuse with 503
 * STORE_UNAVAILABLE) or `'fail-open'` (admit as if the limit had room).
 */

import { describe } from '../util/describe.js';
import { isPromise } from '../util/is-promise.js';

export type OnStoreError = 'fail-open' | 'fail-closed';

/**
 * How long the gate waits for a store call before it counts as failed. This is the handshake's budget for
 * one limit: a store may bound its own commands too (`@wsgate/redis`'s `timeoutMs`, which also covers the
 * calls nobody waits for, its heartbeat and releases); for a handshake the shorter of the two applies.
 */
export const DEFAULT_STORE_TIMEOUT_MS = 500;

export type StoreResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export class StoreTimeoutError extends Error {
  readonly code = 'STORE_TIMEOUT';
  constructor(ms: number) {
    super(`wsgate: the admission store did not answer within ${ms} ms`);
  }
}

/**
 * Runs `call`: synchronously when the store answers synchronously (the memory stores), else under
 * `timeoutMs`. A value that arrives after the timeout is handed to `late` (a lease is released there),
 * so that nothing a slow store grants is leaked.
 */
export function callStore<T>(
  call: () => T | Promise<T>,
  timeoutMs: number,
  late: (value: T) => void,
): StoreResult<T> | Promise<StoreResult<T>> {
  let answer: T | Promise<T>;
  try {
    answer = call();
  } catch (error) {
    return { ok: false, error };
  }
  if (!isPromise(answer)) return { ok: true, value: answer };
  const pending = answer;
  return new Promise((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      resolve({ ok: false, error: new StoreTimeoutError(timeoutMs) });
    }, timeoutMs);
    pending.then(
      (value) => {
        if (settled) return late(value);
        settled = true;
        clearTimeout(timer);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ok: false, error });
      },
    );
  });
}

/** The options a quota or a rate limit shares with the other, each checked at setup. */
const STORE_OPTIONS: Readonly<Record<string, string>> = {
  onStoreError: "'fail-open' or 'fail-closed'",
  storeTimeout: 'a positive number of milliseconds',
};

/**
 * Throws a TypeError naming the factory and the option for an unknown option (a misspelt `store` would
 * silently count in this process only) or a value of the wrong kind. `own` describes the factory's
 * other options and checks their values.
 */
export function checkStoreOptions(
  factory: string,
  options: unknown,
  own: Readonly<Record<string, readonly [expected: string, valid: (value: unknown) => boolean]>>,
): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(`wsgate: ${factory}: options must be an object`);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const rule = own[name];
    const expected = rule?.[0] ?? STORE_OPTIONS[name];
    if (expected === undefined) throw new TypeError(`wsgate: ${factory}: unknown option ${JSON.stringify(name)}`);
    const valid =
      rule !== undefined
        ? rule[1](value)
        : name === 'onStoreError'
          ? value === 'fail-open' || value === 'fail-closed'
          : isPositiveNumber(value);
    if (!valid) throw new TypeError(`wsgate: ${factory}: option "${name}" must be ${expected}, got ${describe(value)}`);
  }
}

/** A limit's count: a positive integer, else a TypeError naming the factory. */
export function checkLimit(factory: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TypeError(`wsgate: ${factory}(limit): limit must be a positive integer, got ${String(limit)}`);
  }
}

/** The application's key function, its keys kept apart from the `ip:` and `route:` ones. */
export function applicationKey<Info>(
  factory: string,
  key: (info: Info) => string | undefined,
): (info: Info) => string | undefined {
  if (typeof key !== 'function') throw new TypeError(`wsgate: ${factory}(limit, key): key must be a function`);
  return (info) => {
    const value = key(info);
    return value === undefined ? undefined : `key:${value}`;
  };
}

export function isPositiveNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Whether `value` has every named method (a store given by the application). */
export function hasMethods(value: unknown, ...names: string[]): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}
