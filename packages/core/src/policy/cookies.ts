/**
 * Cookies of the handshake request, parsed only if someone looks (RFC 6265 §5.4), and cookie-parser's
 * signed cookies, so that sessions set by an Express, Koa or Fastify app can be read at upgrade time.
 */

import { parse } from 'cookie';
import { sign, unsign } from 'cookie-signature';

/** Parses a Cookie header value into name -> value. */
export type CookieParser = (header: string) => Record<string, string | undefined>;

/** `cookie.parse`, which percent-decodes values and keeps the first of repeated names; never throws. */
export const parseCookieHeader: CookieParser = (header) => {
  try {
    return parse(header);
  } catch {
    return Object.create(null) as Record<string, string | undefined>;
  }
};

/**
 * One Cookie header value from several lines. A user agent sends a single Cookie header
 * (RFC 6265 §5.4), but HTTP/2 may split it into several fields, which are joined with '; '
 * (RFC 9113 §8.2.3); do the same for any client that sent several lines.
 */
export function joinCookieHeaders(values: readonly string[]): string {
  return values.filter((value) => value !== '').join('; ');
}

/** The prefix cookie-parser (and `res.cookie(..., { signed: true })`) puts before a signed value. */
const SIGNED_PREFIX = 's:';

/**
 * Reads cookie-parser's signed format: 's:' + value + '.' + base64 HMAC-SHA256 without padding, as
 * cookie-signature makes it (and compares in constant time). With rotated secrets the first signs and
 * all verify. Returns the value, false when the signature is bad (or there is no secret to check it
 * with), or undefined when the cookie is not in signed format.
 */
export function unsignCookie(raw: string, secrets: readonly string[]): string | false | undefined {
  if (typeof raw !== 'string' || !raw.startsWith(SIGNED_PREFIX)) return undefined;
  const signed = raw.slice(SIGNED_PREFIX.length);
  for (const secret of secrets) {
    const value = unsign(signed, secret);
    if (value !== false) return value;
  }
  return false;
}

/** The signed form of `value` that unsignCookie reads: 's:' + value + '.' + signature. */
export function signCookie(value: string, secret: string): string {
  return SIGNED_PREFIX + sign(value, secret);
}

/** The cookies of one request, parsed lazily on first access; the gate creates one per request. */
export class RequestCookies {
  readonly #header: string;
  readonly #secrets: readonly string[];
  readonly #parser: CookieParser;
  #all: Record<string, string | undefined> | undefined;
  #signed: Record<string, string | undefined> | undefined;

  constructor(header: string | undefined, secrets: readonly string[], parser: CookieParser = parseCookieHeader) {
    this.#header = header ?? '';
    this.#secrets = secrets;
    this.#parser = parser;
  }

  /** Every cookie by name, signed ones in their raw 's:...' form. */
  get all(): Record<string, string | undefined> {
    this.#all ??=
      this.#header.trim() !== ''
        ? this.#parser(this.#header)
        : (Object.create(null) as Record<string, string | undefined>);
    return this.#all;
  }

  /** Signed cookies that verify against the secrets, unsigned; cookies failing verification are absent. */
  get signed(): Record<string, string | undefined> {
    if (this.#signed === undefined) {
      const signed = Object.create(null) as Record<string, string | undefined>;
      for (const [name, raw] of Object.entries(this.all)) {
        const value = raw === undefined ? undefined : unsignCookie(raw, this.#secrets);
        if (typeof value === 'string') signed[name] = value;
      }
      this.#signed = signed;
    }
    return this.#signed;
  }
}
