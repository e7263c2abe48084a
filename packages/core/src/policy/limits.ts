/**
 * A route's limits, compiled once: each in its own key space (limit-space.ts), and sorted by when they are
 * decided. Rate limits are decided as soon as the route is known, before the route's middleware and the
 * hook, so that a flood costs little; quotas after the hook, which gives their keys the context. A rate
 * limit whose store also holds one of the route's quotas and decides batches (`admitBatch`, as
 * `@wsgate/redis` does) waits for the quotas instead: that store then answers for all of the route's
 * limits on it in one call (one round trip), rather than one call before the middleware and one after.
 */

import { type Rejection, reject } from '../protocol/rejection.js';
import { refusedBy } from './limit-kind.js';
import { limitSpaces, spacedKey } from './limit-space.js';
import type { Quota, QuotaInfo } from './quota.js';
import type { RateInfo, RateLimit } from './rate-limit.js';
import { callStore, type StoreResult } from './store-call.js';
import type { BatchStore, BatchVerdict, Lease, LeaseStore, RateStore } from './stores.js';

/** A limit and its key space. */
export interface Spaced<L> {
  readonly limit: L;
  readonly space: string;
}

export interface RouteLimits {
  /** Rate limits decided before the route's middleware. */
  readonly early: readonly Spaced<RateLimit>[];
  /** Rate limits decided with the quotas on their store, after the hook. */
  readonly joined: readonly Spaced<RateLimit>[];
  readonly quotas: readonly Spaced<Quota>[];
}

export function compileLimits(route: string, rateLimits: readonly RateLimit[], quotas: readonly Quota[]): RouteLimits {
  const rateSpaces = limitSpaces(route, rateLimits);
  const quotaSpaces = limitSpaces(route, quotas);
  const batching = new Set<unknown>(quotas.map((q) => q.store).filter(isBatchStore));
  const early: Spaced<RateLimit>[] = [];
  const joined: Spaced<RateLimit>[] = [];
  rateLimits.forEach((limit, i) => {
    (batching.has(limit.store) ? joined : early).push({ limit, space: rateSpaces[i] as string });
  });
  return { early, joined, quotas: quotas.map((limit, i) => ({ limit, space: quotaSpaces[i] as string })) };
}

function isBatchStore(store: unknown): store is BatchStore {
  return typeof (store as Partial<BatchStore>).admitBatch === 'function';
}

/**
 * Counts this attempt against every early rate limit; the first that is over refuses with 429 and its
 * Retry-After. A store error is reported through `report` and, per the limit's `onStoreError`, refuses (503)
 * or skips it.
 */
export async function checkEarlyRateLimits(
  limits: readonly Spaced<RateLimit>[],
  info: RateInfo,
  report: (error: unknown) => void,
): Promise<Rejection | undefined> {
  const keys = limits.map(({ limit }) => limit.key(info));
  for (const [i, { limit, space }] of limits.entries()) {
    const key = keys[i];
    if (key === undefined) continue;
    const answer = await callStore(
      () => limit.store.hit(spacedKey(space, key), limit.limit, limit.windowMs),
      limit.storeTimeout,
      () => {},
    );
    if (!answer.ok) {
      report(answer.error);
      if (limit.onStoreError === 'fail-closed') return reject.storeUnavailable;
    } else if (!answer.value.allowed) {
      return refusedBy(reject.rateLimited(answer.value.retryAfterMs / 1000), limit);
    }
  }
  return undefined;
}

/** Gives back every lease taken for one connection; safe to call more than once. */
export type Release = () => void;

/** `decideLimits` for a list of quotas, each in the key space of route `info.route`. */
export async function acquireQuotas(
  quotas: readonly Quota[],
  info: QuotaInfo,
  report: (error: unknown) => void,
): Promise<Release | Rejection> {
  const held = await decideLimits(compileLimits(info.route, [], quotas), info, report);
  return held instanceof HeldLeases ? () => held.release() : held;
}

/** `checkEarlyRateLimits` for a list of rate limits, each in the key space of route `info.route`. */
export function checkRateLimits(
  limits: readonly RateLimit[],
  info: RateInfo,
  report: (error: unknown) => void,
): Promise<Rejection | undefined> {
  return checkEarlyRateLimits(compileLimits(info.route, limits, []).early, info, report);
}

/** What one store is asked for one handshake: its joined rate limits and its quotas, keys computed. */
interface StoreCall {
  readonly store: LeaseStore | RateStore;
  readonly hits: Array<{ readonly limit: RateLimit; readonly key: string }>;
  readonly leases: Array<{ readonly limit: Quota; readonly key: string }>;
}

/**
 * The joined rate limits and every quota, one call per store (`admitBatch`), or one `acquire` per quota on
 * a store without it; all stores asked at once. All or nothing: on the first refusal, what was taken is
 * given back. Every key is computed before any store is asked, so that a key function that throws leaves
 * nothing taken; a lease granted after the gate stopped waiting (`storeTimeout`) is released on arrival.
 */
export async function decideLimits(
  limits: RouteLimits,
  info: QuotaInfo,
  report: (error: unknown) => void,
): Promise<HeldLeases | Rejection> {
  const calls = new Map<unknown, StoreCall>();
  const callFor = (store: LeaseStore | RateStore, single: unknown): StoreCall => {
    const id = isBatchStore(store) ? store : single; // a store without batches: one call per limit
    let call = calls.get(id);
    if (call === undefined) {
      call = { store, hits: [], leases: [] };
      calls.set(id, call);
    }
    return call;
  };
  for (const { limit, space } of limits.joined) {
    const key = limit.key(info);
    if (key !== undefined) callFor(limit.store, limit).hits.push({ limit, key: spacedKey(space, key) });
  }
  for (const { limit, space } of limits.quotas) {
    const key = limit.key(info);
    if (key !== undefined) callFor(limit.store, limit).leases.push({ limit, key: spacedKey(space, key) });
  }
  const held = new HeldLeases();
  const answers = await Promise.all([...calls.values()].map((call) => ask(call, held)));
  const errors: unknown[] = [];
  let refusal: Rejection | undefined;
  answers.forEach((answer, i) => {
    const call = [...calls.values()][i] as StoreCall;
    if (!answer.ok) {
      errors.push(answer.error);
      const limitsOfCall = [...call.hits.map((h) => h.limit), ...call.leases.map((l) => l.limit)];
      if (limitsOfCall.some((limit) => limit.onStoreError === 'fail-closed')) refusal ??= reject.storeUnavailable;
    } else if (answer.value.admitted) {
      for (const lease of answer.value.leases) held.add(call.store as LeaseStore, lease);
    } else if (answer.value.refusedBy === 'rate') {
      const limit = call.hits[answer.value.index]?.limit ?? {};
      refusal ??= refusedBy(reject.rateLimited(answer.value.retryAfterMs / 1000), limit);
    } else {
      const limit = call.leases[answer.value.index]?.limit;
      refusal ??= refusedBy(reject.quotaExceeded(limit?.retryAfter ?? 1), limit ?? {});
    }
  });
  if (refusal !== undefined) held.release();
  try {
    for (const error of errors) report(error);
  } catch (error) {
    // An onError that throws is the application's bug, reported as such by the caller (500): not a leak.
    held.release();
    throw error;
  }
  return refusal ?? held;
}

/** One store's answer, under the shortest `storeTimeout` of its limits. */
function ask(call: StoreCall, held: HeldLeases): StoreResult<BatchVerdict> | Promise<StoreResult<BatchVerdict>> {
  const { store, hits, leases } = call;
  const timeout = Math.min(...hits.map((h) => h.limit.storeTimeout), ...leases.map((l) => l.limit.storeTimeout));
  const late = (verdict: BatchVerdict) => {
    if (verdict.admitted) for (const lease of verdict.leases) releaseQuietly(store as LeaseStore, lease);
  };
  if (isBatchStore(store)) {
    const batch = {
      hits: hits.map(({ limit, key }) => ({ key, limit: limit.limit, windowMs: limit.windowMs })),
      leases: leases.map(({ limit, key }) => ({ key, limit: limit.limit })),
      onLost: () => held.lost(),
    };
    return callStore(() => store.admitBatch(batch), timeout, late);
  }
  // One quota on a store without batches (joined rate limits exist only on batching stores).
  const { limit, key } = leases[0] as StoreCall['leases'][number];
  const acquired = callStore(
    () => (store as LeaseStore).acquire(key, limit.limit, { onLost: () => held.lost() }),
    timeout,
    (lease) => lease !== undefined && releaseQuietly(store as LeaseStore, lease),
  );
  const verdict = (answer: StoreResult<Lease | undefined>): StoreResult<BatchVerdict> =>
    !answer.ok
      ? answer
      : {
          ok: true,
          value:
            answer.value === undefined
              ? { admitted: false, refusedBy: 'lease', index: 0 }
              : { admitted: true, leases: [answer.value] },
        };
  return 'then' in acquired ? acquired.then(verdict) : verdict(acquired);
}

/** What a socket must offer to be closed when its lease is lost. */
export interface Closable {
  close(code: number, reason: string): void;
}

/**
 * The leases one connection holds. Released once, when the connection closes (or its handshake fails). A
 * store that loses one of them (a partition outlived it and others took its slot) makes it `lost`: the
 * connection, once bound, is closed with 1013 "try again later" (RFC 6455 §7.4.1), since it no longer counts.
 */
export class HeldLeases {
  readonly #held: Array<[LeaseStore, Lease]> = [];
  #socket: Closable | undefined;
  #lost = false;
  #released = false;

  add(store: LeaseStore, lease: Lease): void {
    if (this.#released) releaseQuietly(store, lease);
    else this.#held.push([store, lease]);
  }

  release(): void {
    this.#released = true;
    for (const [store, lease] of this.#held.splice(0)) releaseQuietly(store, lease);
  }

  /** A store lost one of the leases: close the connection (now, or as soon as it is bound). */
  lost(): void {
    if (this.#released || this.#lost) return;
    this.#lost = true;
    this.#socket?.close(1013, 'try again later');
  }

  bind(socket: Closable): void {
    this.#socket = socket;
    if (this.#lost) socket.close(1013, 'try again later');
  }
}

/** A shared store that fails to release lets the lease expire; it must not become an unhandled rejection. */
export function releaseQuietly(store: LeaseStore, lease: Lease): void {
  try {
    const released = store.release(lease);
    if (released !== undefined) released.catch(() => {});
  } catch {
    // as above
  }
}
