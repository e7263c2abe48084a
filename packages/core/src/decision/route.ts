/**
 * Routes: options merged over the gate's defaults and compiled once, when the route is defined, so that
 * a handshake reads plain fields and a bad option is a TypeError at setup, never a surprise per request.
 */

import { type FrameOptions, type PerMessageDeflateOptions, SERVER_SOCKET_DEFAULTS } from '../engine/ws.js';
import { compileLimits, type RouteLimits } from '../policy/limits.js';
import { allowOrigins, type OriginPolicy, sameOrigin } from '../policy/origin.js';
import type { Quota } from '../policy/quota.js';
import type { RateLimit } from '../policy/rate-limit.js';
import type { SubprotocolSelector } from '../protocol/subprotocol.js';
import type { ConnectionHandler, UpgradeHook } from './hook.js';
import { compileLifetime, type Lifetime, type LifetimeOptions } from './lifetime-options.js';
import { checkRouteOptions } from './options.js';

/** Legacy handshakes a route may accept besides RFC 6455 (off unless listed). */
export type LegacyHandshake = 'hixie-76';

/** Options that may differ per route; set on the gate, they are every route's defaults. */
export interface RouteOptions<Context = unknown> extends LifetimeOptions<Context> {
  /** Who may open a connection, by Origin. Default `sameOrigin()`. An array is `allowOrigins(array)`. */
  origin?: OriginPolicy | readonly (string | RegExp)[];
  /** A request without Origin: `'allow-without-cookies'` (default: a non-browser client), `'allow'` or `'reject'`. */
  missingOrigin?: 'allow-without-cookies' | 'allow' | 'reject';
  /** Refuse `Sec-Fetch-Site: cross-site`. Default: on while `origin` is the default same-origin policy. */
  fetchMetadata?: boolean;
  /** Server-preferred protocols, or a function choosing from the offered ones. */
  subprotocols?: SubprotocolSelector;
  /** Refuse clients that offer none of our protocols (400 NO_SUBPROTOCOL). */
  requireSubprotocol?: boolean;
  /** Prefix of a subprotocol entry carrying a token (e.g. `'bearer.'`); given to the hook, never echoed. */
  protocolToken?: string;
  /** permessage-deflate (RFC 7692): off by default; `true` or ws's options to enable. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Milliseconds from the request to the 101, covering middleware and hooks. Default 10 000; 0 disables. */
  handshakeTimeout?: number;
  /** Largest message accepted, in bytes. Default 1 MiB. */
  maxPayload?: number;
  /** ws's other per-connection options. */
  frames?: Omit<FrameOptions, 'maxPayload'>;
  /** Connection quotas (per IP, per key, per route): `quotaPerIp(5)`... */
  quotas?: readonly Quota[];
  /** Handshake rate limits, checked before the route's own middleware: `rateLimitPerIp(20, { per: '1s' })`. */
  rateLimits?: readonly RateLimit[];
  /** Legacy handshakes to accept as well, e.g. `['hixie-76']` (insecure; see the README). Default none. */
  legacy?: readonly LegacyHandshake[];
  onUpgrade?: UpgradeHook<Context>;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** A route as the pipeline reads it: every option resolved. */
export interface Route<Context = unknown> {
  readonly path: string;
  readonly originPolicy: OriginPolicy;
  readonly missingOrigin: 'allow-without-cookies' | 'allow' | 'reject';
  readonly fetchMetadata: boolean;
  readonly subprotocols: SubprotocolSelector | undefined;
  readonly requireSubprotocol: boolean;
  readonly protocolToken: string | undefined;
  readonly perMessageDeflate: PerMessageDeflateOptions | undefined;
  readonly handshakeTimeout: number;
  readonly frames: FrameOptions;
  readonly quotas: readonly Quota[];
  readonly rateLimits: readonly RateLimit[];
  /** The rate limits and quotas in their key spaces, sorted by when they are decided (policy/limits.ts). */
  readonly limits: RouteLimits;
  readonly legacy: readonly LegacyHandshake[];
  readonly onUpgrade: UpgradeHook<Context> | undefined;
  /** Keys, expiry, heartbeat: the connection after the handshake (lifecycle/). */
  readonly lifetime: Lifetime<Context>;
  readonly handler: ConnectionHandler<Context>;
}

/** The deadline that runs from the request until a route is known, from the gate's options. */
export function defaultHandshakeTimeout(options: RouteOptions<unknown>): number {
  return options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
}

/**
 * Compiles `options` over the gate's `defaults`. An option set to undefined means "the default", not
 * "off". Throws a TypeError naming the option for anything it cannot use.
 */
export function compileRoute<Context>(
  path: string,
  defaults: RouteOptions<unknown>,
  options: RouteOptions<Context>,
  handler: ConnectionHandler<Context>,
): Route<Context> {
  checkRouteOptions(options, 'route');
  if (typeof handler !== 'function') {
    throw new TypeError(`wsgate: the route ${JSON.stringify(path)} needs a handler function, got ${typeof handler}`);
  }
  const merged = { ...defaults } as RouteOptions<Context>;
  for (const key of Object.keys(options) as Array<keyof RouteOptions<Context>>) {
    if (options[key] !== undefined) (merged as Record<string, unknown>)[key] = options[key];
  }
  const origin = merged.origin;
  const deflate = merged.perMessageDeflate;
  const quotas = merged.quotas ?? [];
  const rateLimits = merged.rateLimits ?? [];
  return {
    path,
    originPolicy: origin === undefined ? sameOrigin() : typeof origin === 'function' ? origin : allowOrigins(origin),
    missingOrigin: merged.missingOrigin ?? 'allow-without-cookies',
    // Fetch metadata can only refuse cross-site requests; an app that lists cross-site origins wants them.
    fetchMetadata: merged.fetchMetadata ?? origin === undefined,
    subprotocols: merged.subprotocols,
    requireSubprotocol: merged.requireSubprotocol ?? false,
    protocolToken: merged.protocolToken,
    perMessageDeflate: deflate === true ? {} : deflate === false ? undefined : deflate,
    handshakeTimeout: defaultHandshakeTimeout(merged as RouteOptions<unknown>),
    // ws's server defaults filled in once here: every connection then hands ws this same object.
    frames: { ...SERVER_SOCKET_DEFAULTS, ...merged.frames, maxPayload: merged.maxPayload ?? DEFAULT_MAX_PAYLOAD },
    quotas,
    rateLimits,
    limits: compileLimits(path, rateLimits, quotas),
    legacy: merged.legacy ?? [],
    onUpgrade: merged.onUpgrade,
    lifetime: compileLifetime(merged),
    handler,
  };
}

/** A route path for `gate.route`: absolute, without query or fragment (matched exactly, query ignored). */
export function checkRoutePath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(
      `wsgate: a route path starts with "/" and has no query, fragment or spaces, got ${typeof path === 'string' ? JSON.stringify(path) : typeof path}`,
    );
  }
  return path;
}
