/**
 * What the Hono app knows better than the raw request, for the core to read only when it needs it: the
 * scheme, host and client IP after the adapter's `trustProxy` (Hono has no trust setting of its own, so the
 * adapter reads X-Forwarded-* as Express's `trust proxy` does, with the same proxy-addr rules), and the
 * headers the app's middleware set with `c.header()` before the route. Cookies are the core's own parse
 * of the Cookie header, which is what `getCookie(c)` reads too.
 */

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { FrameworkView } from '@wsgate/core/adapter';
import type { Context } from 'hono';
import proxyAddr from 'proxy-addr';
import type { TrustProxy } from './types.js';

type Trust = (address: string, hop: number) => boolean;
type Incoming = IncomingMessage | Http2ServerRequest;

/** The trust function of a `trustProxy` option (as Express compiles `trust proxy`); undefined: trust none. */
export function compileTrust(option: TrustProxy | undefined): Trust | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return () => true;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0) throw new TypeError(badTrust(option));
    return (_address, hop) => hop < option;
  }
  if (typeof option === 'function') return option;
  if (typeof option === 'string') return proxyAddr.compile(option.split(',').map((part) => part.trim()));
  if (Array.isArray(option) && option.every((each) => typeof each === 'string')) return proxyAddr.compile([...option]);
  throw new TypeError(badTrust(option));
}

function badTrust(option: unknown): string {
  return `wsgate: option "trustProxy" must be a boolean, a number of hops, addresses or a function, got ${JSON.stringify(option)}`;
}

export class HonoView implements FrameworkView {
  readonly #c: Context;
  readonly #incoming: Incoming;
  readonly #trust: Trust | undefined;

  constructor(c: Context, incoming: Incoming, trust: Trust | undefined) {
    this.#c = c;
    this.#incoming = incoming;
    this.#trust = trust;
  }

  /** Asked by the core only when the request carries X-Forwarded-Proto (`RequestSite`). */
  get secure(): boolean | undefined {
    const proto = this.#forwarded('x-forwarded-proto');
    return proto === undefined ? undefined : proto === 'https';
  }

  /** Asked by the core only when the request carries X-Forwarded-Host; undefined: the Host header stands. */
  get host(): string | undefined {
    return this.#forwarded('x-forwarded-host');
  }

  /** The client: the socket's peer (undefined: the core reads it), or X-Forwarded-For's through trusted hops. */
  get ip(): string | undefined {
    const trust = this.#trust;
    return trust === undefined ? undefined : proxyAddr(this.#incoming as IncomingMessage, trust);
  }

  /** Headers the app's middleware set with `c.header()` (or on `c.res`) before the route took the handshake. */
  get responseHeaders(): Record<string, string | string[]> {
    const headers = this.#c.res.headers;
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of headers) if (name !== 'set-cookie') out[name] = value;
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) out['set-cookie'] = cookies;
    return out;
  }

  /** The first entry of a forwarding header, when the peer is a trusted proxy (as Express reads it). */
  #forwarded(name: 'x-forwarded-proto' | 'x-forwarded-host'): string | undefined {
    const trust = this.#trust;
    const peer = this.#incoming.socket?.remoteAddress;
    if (trust === undefined || peer === undefined || !trust(peer, 0)) return undefined;
    const value = this.#incoming.headers[name];
    const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
    return first || undefined;
  }
}
