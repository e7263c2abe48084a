/**
 * Every failure of the Redis store is a `RedisStoreError` with a stable `code`, so that the gate can
 * apply its fail-open / fail-closed policy and metrics can count outages without parsing messages.
 */

import type { Lease } from './store-types.js';

export type RedisStoreErrorCode =
  /** The client could not send the command or lost the connection (Redis down, client closed). */
  | 'REDIS_UNAVAILABLE'
  /** No answer within `timeoutMs` (Redis slow, or the client queues commands while reconnecting). */
  | 'REDIS_TIMEOUT'
  /** Redis answered with an error (WRONGTYPE on a key under the prefix, OOM, READONLY, LOADING…). */
  | 'REDIS_ERROR'
  /** The heartbeat found leases Redis no longer had alive (it restarted without persistence, or this
   * process stalled past leaseMs) and put them back: their keys may stand above their limits a while. */
  | 'REDIS_LEASE_RESTORED'
  /** (onLeaseLost 'close') Leases of open connections expired in Redis and their slots were taken by
   * others (a partition or stall past leaseMs): not put back; their connections were closed (1013). */
  | 'REDIS_LEASES_LOST'
  /** (onLeaseLost 'keep') As above, but put back over their limits; the connections stay open. */
  | 'REDIS_LEASES_OVER_LIMIT'
  /** `acquire` or `hit` after `close()`. */
  | 'REDIS_STORE_CLOSED';

export class RedisStoreError extends Error {
  readonly code: RedisStoreErrorCode;
  /** For REDIS_LEASE_RESTORED, REDIS_LEASES_LOST, REDIS_LEASES_OVER_LIMIT: the leases (their count is the length). */
  readonly leases: readonly Lease[];

  constructor(
    code: RedisStoreErrorCode,
    message: string,
    options: { cause?: unknown; leases?: readonly Lease[] } = {},
  ) {
    super(`wsgate/redis: ${message}`, { cause: options.cause });
    this.name = 'RedisStoreError';
    this.code = code;
    this.leases = options.leases ?? [];
  }
}

const REPLY_ERROR = /^(ReplyError|ErrorReply|SimpleError|BlobError)$/;

/** A Redis error reply ("WRONGTYPE Operation against…"), as opposed to a client or connection failure. */
export function isErrorReply(error: unknown): boolean {
  // ioredis: ReplyError; node-redis 4: ErrorReply; node-redis 5+ and ioredis 6: SimpleError / BlobError.
  if (!(error instanceof Error)) return false;
  return REPLY_ERROR.test(error.constructor.name) || REPLY_ERROR.test(error.name);
}

export function isNoScript(error: unknown): boolean {
  return isErrorReply(error) && (error as Error).message.startsWith('NOSCRIPT');
}

/** The one mapping from whatever a client throws to a coded error. */
export function toStoreError(error: unknown, doing: string): RedisStoreError {
  if (error instanceof RedisStoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isErrorReply(error))
    return new RedisStoreError('REDIS_ERROR', `${doing}: Redis answered ${reason}`, { cause: error });
  return new RedisStoreError('REDIS_UNAVAILABLE', `${doing}: ${reason}`, { cause: error });
}
