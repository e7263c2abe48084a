/**
 * Which kind of limit refused a handshake (`quotaPerIp`, `rateLimitPerKey` …), for telemetry's
 * `wsgate.limit`: a bounded name from this package, never the limit's key. Kept beside the values rather
 * than on them, so that `Quota`, `RateLimit` and `Rejection` stay what users see.
 */

import type { Rejection } from '../protocol/rejection.js';

const kinds = new WeakMap<object, string>();

/** Names a limit made by one of this package's factories. */
export function namedLimit<Limit extends object>(limit: Limit, kind: string): Limit {
  kinds.set(limit, kind);
  return limit;
}

/** Marks a fresh 429 as refused by `limit` (a limit made elsewhere is `custom`). */
export function refusedBy(rejection: Rejection, limit: object): Rejection {
  kinds.set(rejection, kinds.get(limit) ?? 'custom');
  return rejection;
}

/** The kind of limit that refused, for a rejection made by `refusedBy`. */
export function limitOf(rejection: Rejection): string | undefined {
  return kinds.get(rejection);
}
