/**
 * Origin policy: which web origins may open a WebSocket here (RFC 6455 §4.2.1 item 8, §10.2).
 *
 * Browsers send `Origin` on every WebSocket handshake and, unlike for fetch, no CORS preflight
 * protects the server: a page on any site can open a socket carrying the user's cookies. Checking
 * Origin is how a server refuses cross-site WebSocket hijacking.
 */

import type { UpgradeRequest } from '../protocol/request.js';
import { isPromise } from '../util/is-promise.js';
import { isIPLiteral, isSubdomainOf, parseHost } from './host.js';
import { memoize } from './memo.js';

/** What an origin policy sees: the request's own effective scheme/host (after the framework's trust-proxy logic). */
export interface OriginContext {
  readonly secure: boolean;
  readonly host: string;
  readonly request: UpgradeRequest;
}

/** Returns true to allow. `origin` is the raw single Origin header value, e.g. 'https://a.example.com:8443' or 'null'. */
export type OriginPolicy = (origin: string, context: OriginContext) => boolean | Promise<boolean>;

/**
 * A parsed origin tuple (RFC 6454 §4): lower-cased scheme and host (IPv6 in brackets, e.g. '[::1]')
 * and the port, with the scheme's default filled in (http/ws 80, https/wss 443). For a scheme without
 * a default port (e.g. 'chrome-extension') and no explicit port, `port` is 0, which no explicit port
 * can be, so it never collides.
 */
export interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Parses an RFC 6454 §6.2 serialized origin, `scheme "://" host [ ":" port ]`. Returns undefined for
 * 'null' (an opaque origin, RFC 6454 §7.1), anything with a path, query, fragment or userinfo, a bad
 * port, or any other syntax. The host follows parseHost's rules (host.ts): trailing dots are kept
 * distinct because browsers treat 'https://a.com.' as a different origin from 'https://a.com';
 * punycode is plain ASCII; non-ASCII is rejected because browsers serialise it as punycode.
 * An explicit default port is accepted and normalised: 'https://a.com:443' equals 'https://a.com'.
 */
export function parseOrigin(value: string): ParsedOrigin | undefined {
  if (typeof value !== 'string') return undefined;
  return parseOriginMemo(value);
}

const parseOriginMemo = memoize(parseOriginValue);

function parseOriginValue(value: string): ParsedOrigin | undefined {
  const separator = value.indexOf('://');
  if (separator < 0) return undefined;
  const scheme = value.slice(0, separator);
  if (!SCHEME.test(scheme)) return undefined;
  const authority = parseHost(value.slice(separator + 3));
  if (authority === undefined) return undefined;
  const lowerScheme = scheme.toLowerCase();
  return { scheme: lowerScheme, host: authority.hostname, port: authority.port ?? defaultPort(lowerScheme) };
}

/**
 * Allows an Origin whose scheme, host and port equal the request's own (RFC 6454 §5). The request's
 * scheme comes from `context.secure`; its host and port from `context.host` (the Host header form,
 * default port by scheme). ws is treated as http and wss as https: a page at https://a.com opening
 * wss://a.com is the same site talking to itself. Rejects `Origin: null`.
 */
export function sameOrigin(): OriginPolicy {
  return (origin, context) => {
    const parsed = parseOrigin(origin);
    const own = parseHost(context.host);
    if (parsed === undefined || own === undefined) return false;
    const scheme = context.secure ? 'https' : 'http';
    return (
      comparableScheme(parsed.scheme) === scheme &&
      parsed.host === own.hostname &&
      parsed.port === (own.port ?? defaultPort(scheme))
    );
  };
}

/**
 * Allows origins matching one of the entries:
 * - 'https://app.example.com', 'http://localhost:3000'  exact (default ports normalised)
 * - 'https://*.example.com'   strict subdomains: a.example.com and a.b.example.com, never example.com,
 *                             evil-example.com or example.com.evil.net; scheme and port must match
 * - '...:*'                   any port, e.g. 'https://*.example.com:*' or 'http://localhost:*'
 * - 'null'                    allows `Origin: null` (sandboxed iframes, file: pages); think twice
 * - a RegExp                  tested against the raw Origin string (g and y flags are dropped so
 *                             that test() keeps no state between requests)
 * ws/wss entries are treated as http/https, as in sameOrigin. Throws a TypeError at construction for
 * an invalid entry: that is a programming error.
 */
export function allowOrigins(list: readonly (string | RegExp)[]): OriginPolicy {
  if (!Array.isArray(list)) throw new TypeError('allowOrigins: expected an array of origins and RegExps');
  const rules = list.map(compileOriginRule);
  return (origin) => {
    const parsed = parseOrigin(origin);
    return rules.some((rule) => rule(origin, parsed));
  };
}

/** Allows every origin. An explicit opt-out, for servers that authenticate every socket otherwise. */
export function anyOrigin(): OriginPolicy {
  return () => true;
}

/** Allows when any policy allows, in order, stopping at the first. Stays synchronous while the policies are. */
export function anyOf(...policies: OriginPolicy[]): OriginPolicy {
  return (origin, context) => firstDecisive(policies, 0, true, origin, context);
}

/** Allows when every policy allows, in order, stopping at the first refusal. Stays synchronous while the policies are. */
export function allOf(...policies: OriginPolicy[]): OriginPolicy {
  return (origin, context) => firstDecisive(policies, 0, false, origin, context);
}

/**
 * Runs policies from `index` until one returns `decisive`, which is the answer; otherwise the
 * opposite (so anyOf() of nothing refuses, allOf() of nothing allows). A promise switches the rest of
 * the run to async. Only a real `true` allows: any other value from an untyped policy refuses.
 */
function firstDecisive(
  policies: readonly OriginPolicy[],
  index: number,
  decisive: boolean,
  origin: string,
  context: OriginContext,
): boolean | Promise<boolean> {
  for (let i = index; i < policies.length; i++) {
    const result = (policies[i] as OriginPolicy)(origin, context);
    if (isPromise(result)) {
      return Promise.resolve(result).then((value) =>
        (value === true) === decisive ? decisive : firstDecisive(policies, i + 1, decisive, origin, context),
      );
    }
    if ((result === true) === decisive) return decisive;
  }
  return !decisive;
}

// --- rules -------------------------------------------------------------------------------------

type OriginRule = (raw: string, parsed: ParsedOrigin | undefined) => boolean;

/** RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
const SCHEME = /^[a-z][a-z0-9+.-]*$/i;

function defaultPort(scheme: string): number {
  if (scheme === 'http' || scheme === 'ws') return 80;
  if (scheme === 'https' || scheme === 'wss') return 443;
  return 0;
}

function comparableScheme(scheme: string): string {
  if (scheme === 'ws') return 'http';
  if (scheme === 'wss') return 'https';
  return scheme;
}

function compileOriginRule(entry: unknown): OriginRule {
  if (entry instanceof RegExp) {
    const pattern = new RegExp(entry.source, entry.flags.replace(/[gy]/g, ''));
    return (raw) => pattern.test(raw);
  }
  if (entry === 'null') return (raw) => raw === 'null';
  const pattern = typeof entry === 'string' ? parseOriginPattern(entry) : undefined;
  if (pattern === undefined) {
    const hint =
      typeof entry === 'string' && entry.endsWith('/') ? ' (an origin has no path: drop the trailing "/")' : '';
    throw new TypeError(
      `allowOrigins: invalid entry ${typeof entry === 'string' ? JSON.stringify(entry) : typeof entry}${hint}: ` +
        `expected 'scheme://host[:port]', 'scheme://*.domain[:port]' (':*' for any port), 'null' or a RegExp`,
    );
  }
  const scheme = comparableScheme(pattern.scheme);
  return (_raw, parsed) =>
    parsed !== undefined &&
    comparableScheme(parsed.scheme) === scheme &&
    (pattern.port === '*' || pattern.port === parsed.port) &&
    (pattern.wildcard ? isSubdomainOf(parsed.host, pattern.host) : parsed.host === pattern.host);
}

interface OriginPattern {
  readonly scheme: string;
  readonly host: string; // for a wildcard, the domain after '*.'
  readonly wildcard: boolean;
  readonly port: number | '*';
}

function parseOriginPattern(entry: string): OriginPattern | undefined {
  const separator = entry.indexOf('://');
  if (separator < 0 || !SCHEME.test(entry.slice(0, separator))) return undefined;
  let authority = entry.slice(separator + 3);
  const anyPort = authority.endsWith(':*');
  if (anyPort) authority = authority.slice(0, -2);
  const wildcard = authority.startsWith('*.');
  if (wildcard) authority = authority.slice(2);
  const host = parseHost(authority);
  // ':*' stands for the port, so 'https://a.com:443:*' is invalid; a wildcard names a domain, not an IP.
  if (host === undefined || (anyPort && host.port !== undefined)) return undefined;
  if (wildcard && isIPLiteral(host.hostname)) return undefined;
  const scheme = entry.slice(0, separator).toLowerCase();
  return { scheme, host: host.hostname, wildcard, port: anyPort ? '*' : (host.port ?? defaultPort(scheme)) };
}
