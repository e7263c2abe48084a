/**
 * What a route says about its connections' lifetime, after the handshake: which keys a connection belongs
 * to (for `gate.revoke`), when its credentials expire (and how to refresh them), and how a dead peer is
 * found (heartbeats). Compiled once with the route, so that an accepted connection reads plain fields.
 */

/**
 * The keys a connection belongs to: a list (`['user:42', 'session:abc']`) or named ones
 * (`{ user: '42', session: 'abc' }`, the same as `['user:42', 'session:abc']`; undefined entries skipped).
 */
export type ConnectionKeys = readonly string[] | Readonly<Record<string, string | number | undefined>>;

/** An instant: epoch milliseconds (as `Date.now()`, or a JWT's `exp * 1000`) or a Date. */
export type Instant = number | Date;

export interface HeartbeatOptions {
  /** Milliseconds between pings. Default 30 000: under nginx's 60 s `proxy_read_timeout`, and most idle cuts. */
  interval?: number;
  /** Milliseconds a ping may go unanswered before the peer is terminated; less than `interval`. Default 10 000. */
  timeout?: number;
}

export interface LifetimeOptions<Context> {
  /** Which keys a connection belongs to, from the hook's context: `gate.revoke(key)` closes the ones that match. */
  keys?: (context: Context) => ConnectionKeys | undefined;
  /** When the connection's credentials expire (e.g. a JWT's `exp * 1000`), from the hook's context. */
  expiresAt?: (context: Context) => Instant | undefined;
  /**
   * Called when the expiry passes: a later instant extends the connection; undefined, an instant not in
   * the future, a throw or a rejection closes it with 4002 (CloseCodes.expired). May be async.
   */
  refresh?: (context: Context, expiredAt: number) => Instant | undefined | Promise<Instant | undefined>;
  /** Milliseconds `refresh` may take after the expiry before the connection is closed anyway. Default 5 000. */
  refreshGrace?: number;
  /** Pings to find dead peers: on by default (30 s / 10 s); `false` turns them off. Not on draft-76 (no ping there). */
  heartbeat?: HeartbeatOptions | false;
}

export interface Heartbeat {
  readonly interval: number;
  readonly timeout: number;
}

/** A route's lifetime options, resolved. */
export interface Lifetime<Context> {
  readonly keys: ((context: Context) => ConnectionKeys | undefined) | undefined;
  readonly expiresAt: ((context: Context) => Instant | undefined) | undefined;
  readonly refresh: LifetimeOptions<Context>['refresh'];
  readonly refreshGrace: number;
  readonly heartbeat: Heartbeat | undefined;
}

const DEFAULT_PING_INTERVAL_MS = 30_000;
const DEFAULT_PONG_TIMEOUT_MS = 10_000;
const DEFAULT_REFRESH_GRACE_MS = 5_000;
/** setTimeout's largest delay (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function compileLifetime<Context>(options: LifetimeOptions<Context>): Lifetime<Context> {
  return {
    keys: options.keys,
    expiresAt: options.expiresAt,
    refresh: options.refresh,
    refreshGrace: options.refreshGrace ?? DEFAULT_REFRESH_GRACE_MS,
    heartbeat: compileHeartbeat(options.heartbeat),
  };
}

function compileHeartbeat(option: HeartbeatOptions | false | undefined): Heartbeat | undefined {
  if (option === false) return undefined;
  const interval = option?.interval ?? DEFAULT_PING_INTERVAL_MS;
  const timeout = option?.timeout ?? Math.min(DEFAULT_PONG_TIMEOUT_MS, Math.floor(interval / 2));
  if (!(Number.isFinite(interval) && interval > 0 && interval <= MAX_TIMER_MS)) {
    throw new TypeError(
      `wsgate: option "heartbeat.interval" must be a positive number of milliseconds, got ${interval}`,
    );
  }
  if (!(Number.isFinite(timeout) && timeout > 0 && timeout < interval)) {
    throw new TypeError(
      `wsgate: option "heartbeat.timeout" must be a positive number of milliseconds below heartbeat.interval (${interval}), got ${timeout}`,
    );
  }
  return { interval, timeout };
}

/** The keys as strings: named ones as `name:value`. A bad value is the app's bug: a TypeError. */
export function keysOf(keys: ConnectionKeys | undefined): readonly string[] {
  if (keys === undefined) return [];
  if (Array.isArray(keys)) {
    for (const key of keys) {
      if (typeof key !== 'string') throw new TypeError(`wsgate: a connection key must be a string, got ${typeof key}`);
    }
    return keys as readonly string[];
  }
  if (typeof keys !== 'object' || keys === null) {
    throw new TypeError(`wsgate: route option "keys" must return an array of strings or a record, got ${typeof keys}`);
  }
  const list: string[] = [];
  for (const [name, value] of Object.entries(keys)) {
    if (value === undefined) continue;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new TypeError(
        `wsgate: connection key ${JSON.stringify(name)} must be a string or number, got ${typeof value}`,
      );
    }
    list.push(`${name}:${value}`);
  }
  return list;
}

/** Epoch milliseconds of an instant; NaN for anything else. */
export function millisOf(instant: unknown): number {
  if (instant instanceof Date) return instant.getTime();
  return typeof instant === 'number' ? instant : Number.NaN;
}
