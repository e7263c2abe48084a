/**
 * Which kind of limit refused a handshake (`quotaPerIp`, `rateLimitPerKey` …), for telemetry's
 * `wsgate.limit`: a bounded name from this package (the factory that made the limit, its key space's
 * `factory`), never the limit's key. Kept beside the rejection rather than on it, so that `Rejection` stays
 * what users see.
 */

import type { Rejection } from '../protocol/rejection.js';

const kinds = new WeakMap<Rejection, string>();

/** Marks a fresh 429 as refused by `limit` (a limit made elsewhere is `custom`). */
export function refusedBy(rejection: Rejection, limit: object): Rejection {
  const factory = (limit as { space?: { factory?: unknown } }).space?.factory;
  kinds.set(rejection, typeof factory === 'string' ? factory : 'custom');
  return rejection;
}

/** The kind of limit that refused, for a rejection made by `refusedBy`. */
export function limitOf(rejection: Rejection): string | undefined {
  return kinds.get(rejection);
}
