/**
 * What the heartbeat's answer means, on time or late. A renewal held up in a partition still runs in Redis
 * when the link heals, maybe long after the store stopped waiting for it: its answer is read all the same,
 * since it may have put leases back, or found that others took their slots (RENEW in scripts.ts).
 */

import { RedisStoreError } from './errors.js';
import type { Lease } from './store-types.js';

/** A lease this store holds: renewed by the heartbeat while its connection is open. */
export interface HeldLease {
  readonly lease: Lease;
  /** Its quota's limit: whether the lease still fits when Redis lost it. */
  readonly limit: number;
  /** The gate's hook: the connection no longer counts, close it (1013). */
  readonly onLost: ((lease: Lease) => void) | undefined;
}

export interface RenewalOutcome {
  /** Put back within their limits (REDIS_LEASE_RESTORED). */
  readonly restored: readonly Lease[];
  /** Others took their slots; not put back; the holders were told (REDIS_LEASES_LOST). */
  readonly lost: readonly Lease[];
  /** Others took their slots; put back anyway, over the limit (REDIS_LEASES_OVER_LIMIT). */
  readonly over: readonly Lease[];
  /** Leases Redis put back that this store released meanwhile: to be removed again. */
  readonly stale: readonly Lease[];
}

/**
 * Reads RENEW's reply for `batch` against what the store holds now (`held`, changed in place: a lost lease
 * is no longer held, and its holder's `onLost` is called).
 */
export function readRenewal(reply: unknown, batch: readonly HeldLease[], held: Map<string, HeldLease>): RenewalOutcome {
  if (!Array.isArray(reply) || reply.length !== 3 || !reply.every(Array.isArray))
    throw new RedisStoreError('REDIS_ERROR', `renew: unexpected reply ${JSON.stringify(reply)}`);
  const [restoredAt, lostAt, overAt] = reply as number[][];
  const at = (index: number) => batch[index - 1] as HeldLease;
  const stillHeld = (entry: HeldLease) => held.get(entry.lease.id) === entry;
  const outcome = { restored: [] as Lease[], lost: [] as Lease[], over: [] as Lease[], stale: [] as Lease[] };
  for (const entry of [...(restoredAt ?? []), ...(overAt ?? [])].map(at)) {
    if (!stillHeld(entry)) outcome.stale.push(entry.lease);
  }
  outcome.restored = (restoredAt ?? [])
    .map(at)
    .filter(stillHeld)
    .map((entry) => entry.lease);
  outcome.over = (overAt ?? [])
    .map(at)
    .filter(stillHeld)
    .map((entry) => entry.lease);
  for (const entry of (lostAt ?? []).map(at).filter(stillHeld)) {
    held.delete(entry.lease.id);
    outcome.lost.push(entry.lease);
    try {
      entry.onLost?.(entry.lease);
    } catch {
      // The gate's hook closes a socket; it must not stop the others from being told.
    }
  }
  return outcome;
}

/** The reports a renewal's outcome makes, for the store's onError. */
export function renewalReports(outcome: RenewalOutcome): RedisStoreError[] {
  const reports: RedisStoreError[] = [];
  const { restored, lost, over } = outcome;
  if (restored.length > 0)
    reports.push(
      new RedisStoreError(
        'REDIS_LEASE_RESTORED',
        `${restored.length} lease(s) of open connections were missing or expired in Redis and were put back`,
        { leases: restored },
      ),
    );
  if (lost.length > 0)
    reports.push(
      new RedisStoreError(
        'REDIS_LEASES_LOST',
        `${lost.length} lease(s) of open connections expired in Redis (a partition or stall past leaseMs) and ` +
          'their slots were taken: they were not put back, and their connections are closed (1013)',
        { leases: lost },
      ),
    );
  if (over.length > 0)
    reports.push(
      new RedisStoreError(
        'REDIS_LEASES_OVER_LIMIT',
        `${over.length} lease(s) of open connections expired in Redis and their slots were taken: they were ` +
          "put back over their limits (onLeaseLost: 'keep')",
        { leases: over },
      ),
    );
  return reports;
}
