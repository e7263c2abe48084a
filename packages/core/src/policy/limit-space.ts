/**
 * Every limit counts in its own key space, so that one store (a Redis shared by every process) can serve
 * all of them: two routes' `rateLimitPerIp`, a 1-second and a 1-minute window on one route, a per-user and
 * a per-room `quotaPerKey`, each keeps its own counts. The space is the limit's `name` when it has one
 * (limits with the same name share, on purpose), else derived from where the limit is first compiled: the
 * route, the factory, the window, the key function's source, and its rank among the route's limits that
 * agree on all of these. Every process that runs the same code derives the same spaces, so a shared store
 * counts one limit once however many processes use it.
 *
 * A limit *object* keeps the space of the first route it was compiled on: the same object on several
 * routes (or in the gate's defaults) is one limit, shared by those routes, as its in-memory store is.
 * Two calls of a factory are two limits, even with the same key function.
 */

import { createHash } from 'node:crypto';

/** What a limit's space is derived from, set by its factory. */
export interface LimitIdentity {
  /** `quotaPerKey`, `rateLimitPerIp`… */
  readonly factory: string;
  /** The `name` option: the space itself. */
  readonly name: string | undefined;
  /** The key function's source for per-key limits, '' for the built-in keys. */
  readonly keySource: string;
  /** A rate limit's window; 0 for quotas. */
  readonly windowMs: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** The `name` option's check, for checkStoreOptions. */
export const LIMIT_NAME = [
  'a string of letters, digits, "_", "." or "-" (at most 100)',
  (value: unknown) => typeof value === 'string' && NAME.test(value),
] as const;

const spaces = new WeakMap<object, string>();

/**
 * The space of each limit of one route's list (its quotas, or its rate limits), in order. A named limit's
 * space is `n.<name>`; a derived one `<factory>.<hash>`, which no name can equal.
 */
export function limitSpaces(route: string, limits: readonly { readonly space: LimitIdentity }[]): string[] {
  const seen = new Map<string, number>();
  return limits.map((limit) => {
    const known = spaces.get(limit);
    if (known !== undefined) return known;
    const { factory, name, keySource, windowMs } = limit.space;
    let space: string;
    if (name !== undefined) space = `n.${name}`;
    else {
      const identity = [route, factory, windowMs, keySource].join('\n');
      const rank = (seen.get(identity) ?? 0) + 1;
      seen.set(identity, rank);
      const hash = createHash('sha256').update(`${identity}\n${rank}`).digest('base64url').slice(0, 12);
      space = `${factory}.${hash}`;
    }
    spaces.set(limit, space);
    return space;
  });
}

/** The key a store sees: the limit's space, then the limit's own key (`ip:…`, `key:…`, `route:…`). */
export function spacedKey(space: string, key: string): string {
  return `${space}:${key}`;
}
