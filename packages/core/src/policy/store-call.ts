/**
 * Calling an admission store (quotas, rate limits) from a handshake: a store on another machine may be
 * down or slow, and neither may hang a handshake past its deadline or crash the process. The app chooses,
 * per limit, what an unanswered call means: `'fail-closed'` (the default: refuse with 503
 * STORE_UNAVAILABLE) or `'fail-open'` (admit as if the limit had room).
 */

import { isPromise } from '../promise.js';

export type OnStoreError = 'fail-open' | 'fail-closed';

/** How long a store call may take before it counts as failed. */
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
