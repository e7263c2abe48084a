/** The store's arguments, checked before anything is sent: a bad one is a TypeError naming what it is. */

import { RedisStoreError } from './errors.js';

export function checkWindow(windowMs: number): void {
  if (!Number.isInteger(windowMs) || windowMs < 1)
    throw new TypeError(`wsgate/redis: a rate window must be a positive integer of milliseconds, got ${windowMs}`);
}

export function checkKey(key: string): void {
  if (typeof key !== 'string') throw new TypeError(`wsgate/redis: a key must be a string, got ${typeof key}`);
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new TypeError(`wsgate/redis: a limit must be a positive integer, got ${limit}`);
}

export function closed(doing: string): RedisStoreError {
  return new RedisStoreError('REDIS_STORE_CLOSED', `${doing}: the store is closed`);
}
