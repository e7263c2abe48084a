/**
 * Cookies as a browser handles them for one site: what a response sets (Set-Cookie, RFC 6265 §5.2) is sent
 * back as it was written (§5.4), and a cookie set to expire is forgotten. Domain, Path and Secure are not
 * modelled: a test talks to one app.
 */

/** name -> value, as sent in the Cookie header. */
export type Cookies = Readonly<Record<string, string>>;

/** RFC 6265 §4.1.1 cookie-octet: what a cookie value may hold without encoding. */
const COOKIE_OCTETS = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
/** RFC 9110 §5.6.2 token: a cookie name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The Cookie header for `cookies`. A value that is already cookie-octets is sent as it is (a signed value,
 * or one copied from a Set-Cookie header); any other (a space, `;`, non-ASCII) is percent-encoded first,
 * as the `cookie` package (Express, Fastify) encodes what it sets.
 */
export function cookieHeader(cookies: Cookies): string | undefined {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(cookies)) {
    if (!TOKEN.test(name)) throw new TypeError(`@wsgate/testing: invalid cookie name ${JSON.stringify(name)}`);
    pairs.push(`${name}=${COOKIE_OCTETS.test(value) ? value : encodeURIComponent(value)}`);
  }
  return pairs.length === 0 ? undefined : pairs.join('; ');
}

/** One Set-Cookie line: its name and value, or that it deletes the cookie (expired, or Max-Age <= 0). */
interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly expired: boolean;
}

/** Parses a Set-Cookie line (RFC 6265 §5.2); undefined for one without a name. */
export function parseSetCookie(line: string): SetCookie | undefined {
  const [pair = '', ...attributes] = line.split(';');
  const equals = pair.indexOf('=');
  if (equals <= 0) return undefined;
  const name = pair.slice(0, equals).trim();
  const value = unquote(pair.slice(equals + 1).trim());
  let maxAge: number | undefined;
  let expires: number | undefined;
  for (const attribute of attributes) {
    const [key = '', ...rest] = attribute.split('=');
    const argument = rest.join('=').trim();
    const lower = key.trim().toLowerCase();
    if (lower === 'max-age' && /^-?\d+$/.test(argument)) maxAge = Number(argument);
    else if (lower === 'expires' && !Number.isNaN(Date.parse(argument))) expires = Date.parse(argument);
  }
  // §5.3 step 3: Max-Age wins over Expires.
  const expired = maxAge !== undefined ? maxAge <= 0 : expires !== undefined && expires <= Date.now();
  return { name, value, expired };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** The cookies a response sets, by name (deletions left out). */
export function cookiesSetBy(setCookie: string | readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of toLines(setCookie)) {
    const cookie = parseSetCookie(line);
    if (cookie !== undefined && !cookie.expired) out[cookie.name] = cookie.value;
  }
  return out;
}

/** A browser's cookie store for one site. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Stores what a response's Set-Cookie lines say: new values, and deletions. */
  store(setCookie: string | readonly string[] | undefined): void {
    for (const line of toLines(setCookie)) {
      const cookie = parseSetCookie(line);
      if (cookie === undefined) continue;
      if (cookie.expired) this.#cookies.delete(cookie.name);
      else this.#cookies.set(cookie.name, cookie.value);
    }
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  clear(): void {
    this.#cookies.clear();
  }

  /** The cookies, as `{ name: value }`. */
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#cookies);
  }
}

function toLines(setCookie: string | readonly string[] | undefined): readonly string[] {
  if (setCookie === undefined) return [];
  return typeof setCookie === 'string' ? [setCookie] : setCookie;
}
