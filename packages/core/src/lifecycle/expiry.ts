/**
 * Expiry: a connection admitted on credentials that expire (a JWT's `exp`) closes with 4002
 * (CloseCodes.expired) when they do, unless the route's `refresh` gives a later instant in time. Refresh
 * may be async; it has `refreshGrace` ms after the expiry to answer, after which the connection closes
 * whatever it later says. One timer per connection that has an expiry, none for the others.
 */

import { MAX_TIMER_MS, millisOf } from '../decision/lifetime-options.js';
import { isPromise } from '../util/is-promise.js';
import { CloseCodes } from './close-codes.js';
import type { ConnectionCloser, Tracked } from './tracked.js';

export function scheduleExpiry(registry: ConnectionCloser, entry: Tracked, instant: unknown): void {
  const at = millisOf(instant);
  if (Number.isNaN(at)) {
    expire(registry, entry);
    return;
  }
  const delay = at - Date.now();
  if (delay <= 0) {
    refreshOrExpire(registry, entry, at);
    return;
  }
  // Beyond setTimeout's range: wake up at its end and look again.
  entry.timer = setTimeout(
    () => (delay > MAX_TIMER_MS ? scheduleExpiry(registry, entry, at) : refreshOrExpire(registry, entry, at)),
    Math.min(delay, MAX_TIMER_MS),
  ).unref();
}

function expire(registry: ConnectionCloser, entry: Tracked): void {
  entry.timer = undefined;
  registry.end(entry, 'expired', CloseCodes.expired, 'expired');
}

function refreshOrExpire(registry: ConnectionCloser, entry: Tracked, expiredAt: number): void {
  const { refresh, refreshGrace } = entry.route.lifetime;
  if (refresh === undefined || !isOpen(entry)) {
    expire(registry, entry);
    return;
  }
  let settled = false;
  const settle = (instant: unknown) => {
    if (settled) return;
    settled = true;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (!isOpen(entry)) return;
    const next = millisOf(instant);
    if (next > Date.now()) scheduleExpiry(registry, entry, next);
    else expire(registry, entry);
  };
  // A refresh that throws or rejects refuses: the credentials could not be renewed, the connection expires.
  const fail = () => settle(undefined);
  entry.timer = setTimeout(() => settle(undefined), refreshGrace).unref();
  try {
    const result = refresh(entry.context, expiredAt);
    if (isPromise(result)) result.then(settle, fail);
    else settle(result);
  } catch {
    fail();
  }
}

function isOpen(entry: Tracked): boolean {
  return entry.cause === undefined && entry.socket.readyState === entry.socket.OPEN;
}
