/**
 * Connection quotas: at most `limit` open connections per key (client IP, a key function such as the
 * user id, or the route). Counts live in a store behind a small async interface, so that a shared store
 * can replace the in-memory one; a count taken is released exactly once, when the connection closes or
 * when the handshake fails after taking it.
 */

import type { IncomingMessage } from 'node:http';
import { type Rejection, reject } from '../rejection.js';

export interface QuotaStore {
  /** Takes one unit of `key` if fewer than `limit` are held; false when the quota is full. */
  acquire(key: string, limit: number): boolean | Promise<boolean>;
  release(key: string): void | Promise<void>;
}

/** Counts in this process's memory; entries disappear when they reach zero. */
export class MemoryQuotaStore implements QuotaStore {
  readonly #counts = new Map<string, number>();

  acquire(key: string, limit: number): boolean {
    const held = this.#counts.get(key) ?? 0;
    if (held >= limit) return false;
    this.#counts.set(key, held + 1);
    return true;
  }

  release(key: string): void {
    const held = this.#counts.get(key) ?? 0;
    if (held <= 1) this.#counts.delete(key);
    else this.#counts.set(key, held - 1);
  }

  /** Units held for `key` (0 when none), or the total over all keys. */
  held(key?: string): number {
    if (key !== undefined) return this.#counts.get(key) ?? 0;
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }
}

export interface Quota {
  readonly limit: number;
  /** The key this connection counts against, or undefined to skip this quota for it. */
  readonly key: (request: IncomingMessage, route: string, context: unknown) => string | undefined;
  readonly store: QuotaStore;
  /** Seconds suggested in Retry-After. Default 1. */
  readonly retryAfter?: number;
}

interface QuotaOptions {
  store?: QuotaStore;
  retryAfter?: number;
}

/** Per client IP address (the socket's peer; behind a proxy, use `quotaPerKey` with the framework's IP). */
export function quotaPerIp(limit: number, options: QuotaOptions = {}): Quota {
  return quota(limit, (request) => `ip:${request.socket.remoteAddress ?? ''}`, options);
}

/** Per route: a cap on a route's open connections. */
export function quotaPerRoute(limit: number, options: QuotaOptions = {}): Quota {
  return quota(limit, (_request, route) => `route:${route}`, options);
}

/** Per key of your choosing, with the hook's context, e.g. `(req, route, ctx) => ctx.userId`. */
export function quotaPerKey<Context>(
  limit: number,
  key: (request: IncomingMessage, route: string, context: Context) => string | undefined,
  options: QuotaOptions = {},
): Quota {
  return quota(
    limit,
    (request, route, context) => {
      const value = key(request, route, context as Context);
      return value === undefined ? undefined : `key:${value}`;
    },
    options,
  );
}

function quota(limit: number, key: Quota['key'], options: QuotaOptions): Quota {
  if (!Number.isInteger(limit) || limit < 1)
    throw new TypeError(`wsgate: a quota limit must be a positive integer, got ${limit}`);
  return { limit, key, store: options.store ?? new MemoryQuotaStore(), retryAfter: options.retryAfter };
}

/**
 * Takes every quota or none: on the first full one, what was taken is given back and the answer is 429.
 * On success, returns the release function, which gives everything back once however often it is called.
 */
export async function acquireQuotas(
  quotas: readonly Quota[],
  request: IncomingMessage,
  route: string,
  context: unknown,
): Promise<(() => void) | Rejection> {
  const taken: Array<[QuotaStore, string]> = [];
  const releaseAll = () => {
    for (const [store, key] of taken.splice(0)) {
      // A shared store that fails to release must not become an unhandled rejection.
      const released = store.release(key);
      if (released !== undefined) released.catch(() => {});
    }
  };
  for (const q of quotas) {
    const key = q.key(request, route, context);
    if (key === undefined) continue;
    if (!(await q.store.acquire(key, q.limit))) {
      releaseAll();
      return reject.quotaExceeded(q.retryAfter ?? 1);
    }
    taken.push([q.store, key]);
  }
  return releaseAll;
}
