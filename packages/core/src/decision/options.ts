/**
 * Options checked when they are given: a value wsgate cannot use is a TypeError at setup that names the
 * option, the value received and what is expected — never a string read as a list of letters, or a
 * deadline of '10s' that expires at once.
 */

import { describe } from '../util/describe.js';

const ROUTE_OPTIONS = {
  origin: 'an OriginPolicy function or an array of origins (strings or RegExps)',
  missingOrigin: "'allow-without-cookies', 'allow' or 'reject'",
  fetchMetadata: 'a boolean',
  subprotocols: "an array of protocol names (e.g. ['chat.v2']) or a function (offered, request) => choice",
  requireSubprotocol: 'a boolean',
  protocolToken: "a non-empty prefix such as 'bearer.'",
  perMessageDeflate: "a boolean or ws's PerMessageDeflateOptions object",
  handshakeTimeout: 'a number of milliseconds (0 disables)',
  maxPayload: 'a number of bytes',
  frames: "an object of ws's per-connection options",
  quotas: 'an array of quotas (quotaPerIp, quotaPerKey, quotaPerRoute)',
  rateLimits: 'an array of rate limits (rateLimitPerIp, rateLimitPerKey)',
  legacy: "an array of legacy handshakes, e.g. ['hixie-76']",
  onUpgrade: 'a function (upgrade) => context | upgrade.reject(...)',
  keys: 'a function (context) => an array of keys or a record such as { user, session }',
  expiresAt: 'a function (context) => epoch milliseconds or a Date',
  refresh: 'a function (context, expiredAt) => a later instant (or a promise of one)',
  refreshGrace: 'a number of milliseconds',
  heartbeat: 'false or { interval, timeout } in milliseconds',
} as const;

const GATE_OPTIONS = {
  ...ROUTE_OPTIONS,
  hosts: "a HostPolicy function or an array of host patterns (e.g. ['app.example.com', 'localhost:*'])",
  maxPending: 'a number of handshakes',
  maxPendingPerConnection: 'a number of handshakes (at least 1)',
  http2PingInterval: 'a number of milliseconds (0 disables)',
  cookieSecret: 'a secret string or an array of them (the first signs, all verify)',
  parseCookies: 'a function (header) => record',
  onEvent: 'a function (event) => void',
  onError: 'a function (error, request) => void',
  logRejections: 'a boolean',
  telemetry: 'a boolean',
  revocationChannel: 'a RevocationChannel ({ publish, subscribe }), e.g. createRedisChannel({ client })',
} as const;

type Where = 'gate' | 'route';

/** Throws a TypeError for an unknown option name or a value of the wrong kind. */
export function checkRouteOptions(options: unknown, where: Where = 'route'): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`wsgate: ${where} options must be an object, got ${describe(options)}`);
  }
  const known: Readonly<Record<string, string>> = where === 'gate' ? GATE_OPTIONS : ROUTE_OPTIONS;
  const record = options as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!Object.hasOwn(known, name)) {
      const hint = closest(name, Object.keys(known));
      const misplaced = where === 'route' && Object.hasOwn(GATE_OPTIONS, name) ? ' (it is a gate option)' : '';
      throw new TypeError(
        `wsgate: unknown ${where} option ${JSON.stringify(name)}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}${misplaced}`,
      );
    }
    const value = record[name];
    if (value !== undefined && !valid(name, value)) {
      throw new TypeError(`wsgate: option ${JSON.stringify(name)} must be ${known[name]}, got ${describe(value)}`);
    }
  }
}

export function checkGateOptions(options: unknown): void {
  checkRouteOptions(options, 'gate');
}

function valid(name: string, value: unknown): boolean {
  switch (name) {
    case 'origin':
    case 'hosts':
      return typeof value === 'function' || Array.isArray(value);
    case 'subprotocols':
      return typeof value === 'function' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    case 'missingOrigin':
      return value === 'allow-without-cookies' || value === 'allow' || value === 'reject';
    case 'fetchMetadata':
    case 'requireSubprotocol':
    case 'logRejections':
    case 'telemetry':
      return typeof value === 'boolean';
    case 'protocolToken':
      return typeof value === 'string' && value !== '';
    case 'perMessageDeflate':
      return typeof value === 'boolean' || isPlainObject(value);
    case 'heartbeat':
      return value === false || isPlainObject(value);
    case 'revocationChannel': {
      const channel = value as { publish?: unknown; subscribe?: unknown };
      return isPlainObject(value) && typeof channel.publish === 'function' && typeof channel.subscribe === 'function';
    }
    case 'handshakeTimeout':
    case 'http2PingInterval':
    case 'refreshGrace':
    case 'maxPayload':
    case 'maxPending':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0;
    case 'maxPendingPerConnection':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1;
    case 'frames':
      return isPlainObject(value);
    case 'quotas':
    case 'rateLimits':
      return Array.isArray(value) && value.every(isPlainObject);
    case 'legacy':
      return Array.isArray(value) && value.every((item) => item === 'hixie-76');
    case 'cookieSecret':
      return (
        (typeof value === 'string' && value !== '') ||
        (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== ''))
      );
    default:
      return typeof value === 'function'; // onUpgrade, parseCookies, onEvent, onError
  }
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The known name within two edits of `name`, if one is. */
function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of names) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
