/**
 * Host policy: the defence against DNS rebinding.
 *
 * A rebinding page at `http://evil.example:3000` makes its own name resolve to 127.0.0.1 and opens a
 * WebSocket to it. The browser then sends `Host: evil.example:3000` and an Origin that is *same-origin*
 * with that Host, so the origin check passes; only the Host check notices that the server never had
 * that name. RFC 9110 §7.2: Host carries the target URI's authority, RFC 3986 §3.2 without userinfo.
 */

import type { UpgradeRequest } from '../protocol/request.js';
import { memoize } from './memo.js';

/** Returns true to allow. `host` is the single Host header value, e.g. 'example.com:8080'. */
export type HostPolicy = (host: string, request: UpgradeRequest) => boolean;

/** A parsed Host value: lower-cased hostname (IPv6 in brackets, e.g. '[::1]') and the port if one was given. */
export interface ParsedHost {
  readonly hostname: string;
  readonly port: number | undefined;
}

/**
 * Parses `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2-3.2.3). Returns undefined for anything
 * else: empty, whitespace, userinfo, path characters, bad brackets, a port outside 1-65535.
 *
 * Deliberately narrower than RFC 3986's reg-name, to the names a browser can actually send:
 * - a reg-name is dot-separated labels of letters, digits, '-' and '_' (RFC 1123 plus the '_' of
 *   container and service names); pct-encoding and sub-delims are legal in a URI but the URL standard
 *   decodes or forbids them in hosts, so they only give one name a second spelling.
 * - a trailing dot (the DNS root, 'example.com.') is kept, not stripped: browsers treat
 *   'example.com.' as a distinct origin (its own cookies and storage), so conflating the two would let
 *   one origin pass as another. Allow it explicitly if you serve it.
 * - a name whose last label is numeric must be canonical dotted-decimal IPv4 (the URL standard's
 *   "ends in a number" rule): browsers always send the canonical form, and '127.1' or '0x7f.0.0.1'
 *   would otherwise be names that resolvers read as loopback but no allowlist recognises.
 * - IPv6 is canonicalised (RFC 5952, as browsers serialise it), so '[0:0::1]' equals '[::1]'. Zone
 *   identifiers and IPvFuture are rejected: browsers do not send them.
 * - non-ASCII is rejected: browsers send internationalised names as punycode ('xn--'), plain ASCII.
 */
export function parseHost(value: string): ParsedHost | undefined {
  if (typeof value !== 'string') return undefined;
  return parseHostMemo(value);
}

const parseHostMemo = memoize(parseHostValue);

function parseHostValue(value: string): ParsedHost | undefined {
  let hostname: string | undefined;
  let rest: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return undefined;
    hostname = canonicalIPv6(value.slice(1, close));
    rest = value.slice(close + 1);
  } else {
    const colon = value.indexOf(':');
    hostname = parseRegNameOrIPv4(colon < 0 ? value : value.slice(0, colon));
    rest = colon < 0 ? '' : value.slice(colon);
  }
  if (hostname === undefined) return undefined;
  if (rest === '') return { hostname, port: undefined };
  if (!rest.startsWith(':')) return undefined;
  const port = parsePort(rest.slice(1));
  return port === undefined ? undefined : { hostname, port };
}

/**
 * Allows Host values matching one of the entries (case-insensitive):
 * - 'example.com'         only the default ports: no port, 80 or 443. An entry without a port must
 *                         not silently mean "any port"; say ':*' when you mean it.
 * - 'example.com:8080'    that port (a portless Host is allowed only for an entry port of 80 or 443)
 * - 'example.com:*'       any port
 * - '*.example.com'       strict subdomains only: 'a.example.com', 'a.b.example.com', never
 *                         'example.com', 'evil-example.com' or 'example.com.evil.net'; port as above
 * - '[::1]:3000', '127.0.0.1:*'
 * Throws a TypeError at construction for an invalid entry: that is a programming error.
 */
export function allowHosts(list: readonly string[]): HostPolicy {
  if (!Array.isArray(list)) throw new TypeError('allowHosts: expected an array of host patterns');
  const patterns = list.map(parseHostPattern);
  return (host) => {
    const parsed = parseHost(host);
    return parsed !== undefined && patterns.some((pattern) => matchesHostPattern(pattern, parsed));
  };
}

/** Allows 'localhost', any 127.x.y.z and '[::1]', on `port` (any port when omitted). For dev servers. */
export function loopbackHosts(port?: number): HostPolicy {
  if (port !== undefined && parsePort(String(port)) !== port) {
    throw new TypeError(`loopbackHosts: port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  const rule: PortRule = port ?? 'any';
  return (host) => {
    const parsed = parseHost(host);
    return parsed !== undefined && isLoopbackHostname(parsed.hostname) && portMatches(rule, parsed.port);
  };
}

/**
 * The default. When the connection arrived on a loopback address (the server is, in effect, a local
 * service: exactly what DNS rebinding reaches) only loopback names are accepted, on any port. Otherwise
 * any well-formed Host is accepted: a public server is reached under names we cannot know.
 * An unknown local address (a Unix socket, a test double) counts as not loopback.
 *
 * Note: a reverse proxy on the same machine (nginx -> 127.0.0.1:3000) forwards the public Host over
 * loopback; such deployments must configure allowHosts with their public names.
 */
export function defaultHostPolicy(): HostPolicy {
  const loopback = loopbackHosts();
  return (host, request) => {
    if (!arrivedOnLoopback(request)) return parseHost(host) !== undefined;
    return loopback(host, request);
  };
}

/**
 * Whether the connection arrived on a loopback address. A server listening on one specific address
 * answers for all its connections (read once per server: `localAddress` is a system call per socket);
 * one listening on every address (0.0.0.0, ::) is asked per connection.
 */
const listensOnLoopback = new WeakMap<object, boolean | null>();

function arrivedOnLoopback(request: UpgradeRequest | undefined): boolean {
  const socket = request?.socket as { localAddress?: string; server?: { address(): unknown } } | undefined;
  const server = socket?.server;
  if (server !== undefined && server !== null) {
    let known = listensOnLoopback.get(server);
    if (known === undefined) {
      const address = (server.address() as { address?: string } | null)?.address;
      known = address === undefined || address === '0.0.0.0' || address === '::' ? null : isLoopbackAddress(address);
      listensOnLoopback.set(server, known);
    }
    if (known !== null) return known;
  }
  return isLoopbackAddress(socket?.localAddress);
}

/**
 * True when `hostname` is a strict subdomain of `domain`: it ends with '.' + domain and has at least
 * one label before it. Both come from parseHost, so labels are never empty and the suffix can only
 * match on a label boundary ('evil-example.com' does not end with '.example.com').
 */
export function isSubdomainOf(hostname: string, domain: string): boolean {
  return hostname.length > domain.length + 1 && hostname.endsWith(`.${domain}`);
}

/** True for a hostname from parseHost that is an IP literal rather than a name. */
export function isIPLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || IPV4.test(hostname);
}

// --- ports -------------------------------------------------------------------------------------

/** A port in a pattern: a number, any port, or the default ports (no port, 80 or 443). */
export type PortRule = number | 'any' | 'default';

const DEFAULT_PORTS = [80, 443];

/** RFC 3986 §3.2.3 port = *DIGIT; we also require 1-5 digits and a value in 1-65535. */
export function parsePort(digits: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(digits)) return undefined;
  const port = Number(digits);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** A Host without a port means the scheme's default port, which for HTTP is 80 or 443. */
function portMatches(rule: PortRule, port: number | undefined): boolean {
  if (rule === 'any') return true;
  if (port === undefined) return rule === 'default' || DEFAULT_PORTS.includes(rule);
  return rule === 'default' ? DEFAULT_PORTS.includes(port) : rule === port;
}

// --- patterns ----------------------------------------------------------------------------------

interface HostPattern {
  readonly hostname: string; // for a wildcard, the domain after '*.'
  readonly wildcard: boolean;
  readonly port: PortRule;
}

function parseHostPattern(entry: unknown): HostPattern {
  const invalid = () =>
    new TypeError(
      `allowHosts: invalid entry ${JSON.stringify(entry)}: expected 'host', 'host:port', 'host:*' or '*.domain[:port|:*]'`,
    );
  if (typeof entry !== 'string') throw invalid();
  const anyPort = entry.endsWith(':*');
  const withoutAnyPort = anyPort ? entry.slice(0, -2) : entry;
  const wildcard = withoutAnyPort.startsWith('*.');
  const parsed = parseHost(wildcard ? withoutAnyPort.slice(2) : withoutAnyPort);
  if (parsed === undefined || (anyPort && parsed.port !== undefined)) throw invalid();
  if (wildcard && isIPLiteral(parsed.hostname)) throw invalid();
  return { hostname: parsed.hostname, wildcard, port: anyPort ? 'any' : (parsed.port ?? 'default') };
}

function matchesHostPattern(pattern: HostPattern, host: ParsedHost): boolean {
  const nameMatches = pattern.wildcard
    ? isSubdomainOf(host.hostname, pattern.hostname)
    : host.hostname === pattern.hostname;
  return nameMatches && portMatches(pattern.port, host.port);
}

// --- names and addresses -----------------------------------------------------------------------

const LABEL = /^[a-z0-9_-]+$/i;
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

function parseRegNameOrIPv4(name: string): string | undefined {
  const labels = name.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels.pop(); // the trailing dot, kept
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '') && !IPV4.test(name)) return undefined;
  return name.toLowerCase();
}

function canonicalIPv6(address: string): string | undefined {
  // Only hex digits, ':' and '.' (for an embedded IPv4): no zone id ('%'), no IPvFuture ('v1.x').
  if (!/^[0-9a-f:.]+$/i.test(address)) return undefined;
  try {
    return new URL(`http://[${address}]/`).hostname; // the WHATWG URL parser validates and compresses
  } catch {
    return undefined;
  }
}

function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || (hostname.startsWith('127.') && IPV4.test(hostname));
}

/** Node reports socket addresses unbracketed: '127.0.0.1', '::1', or IPv4-mapped '::ffff:127.0.0.1'. */
function isLoopbackAddress(address: string | undefined): boolean {
  if (typeof address !== 'string') return false;
  return address === '::1' || address.startsWith('127.') || address.toLowerCase().startsWith('::ffff:127.');
}
