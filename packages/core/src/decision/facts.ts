/**
 * The facts a handshake is decided from. A transport reads them off the wire (method, version, raw
 * header lines, the authority the request names, the connection's own scheme and peer); an adapter adds
 * what its framework knows better (scheme, host and client IP after trust-proxy, parsed cookies, headers
 * the app set). The rules read nothing else, so they can be tested over plain values.
 */

import type { HeaderFields } from '../http/fields.js';
import { type HeaderLines, hasHeader } from '../http/raw-headers.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';

/** What the transport read off the wire. */
export interface WireFacts {
  readonly transport: TransportName;
  readonly request: UpgradeRequest;
  /** Every header line as received (pseudo-headers excluded), for the checks that must see duplicates. */
  readonly headers: HeaderLines;
  /** The Host header's value (HTTP/1) or :authority (HTTP/2). */
  readonly hostHeader: string;
  /**
   * The authority the request names: the absolute-form target's (RFC 9112 §3.2.2, which then overrides
   * Host), else Host (HTTP/1) or :authority (HTTP/2). Already checked against the Host policy.
   */
  readonly authority: string;
  /** Whether the connection itself is TLS. */
  readonly encrypted: boolean;
  /** The peer's address (a system call on first read, so read only when a rule needs it). */
  readonly peerAddress: string | undefined;
}

/**
 * What an adapter's framework knows better than the wire, each read only if a rule needs it (an adapter
 * implements them as getters: trust-proxy resolution is not free). Absent members fall back to the wire.
 */
export interface FrameworkView {
  /**
   * The request's own scheme after trust-proxy (`req.secure`, `ctx.secure`, `request.protocol`). Read only when
   * the request carries X-Forwarded-Proto: without it, no framework's answer differs from the connection's own.
   */
  readonly secure?: boolean | undefined;
  /**
   * The request's own authority after trust-proxy (`req.host` with its port); checked by the Host policy too.
   * Read only when the request carries X-Forwarded-Host: without it, the Host header (already checked) stands.
   */
  readonly host?: string | undefined;
  /** The client's address after trust-proxy (`req.ip`, `ctx.ip`, `request.ip`), for quotas and rate limits. */
  readonly ip?: string | undefined;
  /** The framework's parsed cookies (cookie-parser, Koa, @fastify/cookie). */
  readonly cookies?: Readonly<Record<string, string | undefined>> | undefined;
  /** Signed cookies the framework verified; forged ones absent. */
  readonly signedCookies?: Readonly<Record<string, string | undefined>> | undefined;
  /** Headers the app set on its response before the route took the handshake (see `carriedHeaders`). */
  readonly responseHeaders?: HeaderFields | undefined;
}

/**
 * The request's own scheme, authority and client, as the rules see them: the framework's view, else the
 * wire's. It is also what an Origin policy gets (`OriginContext`), so that a policy that never compares
 * with the request's own origin never pays for resolving it.
 */
export class RequestSite {
  readonly wire: WireFacts;
  readonly view: FrameworkView | undefined;
  #secure: boolean | undefined;
  #host: string | undefined;

  constructor(wire: WireFacts, view: FrameworkView | undefined) {
    this.wire = wire;
    this.view = view;
  }

  /**
   * A framework's scheme differs from the connection's only through a forwarding header it may trust; without
   * one the framework is not asked (Express's `req.secure` would run its trust function, a system call).
   */
  get secure(): boolean {
    if (this.#secure === undefined) {
      const forwarded = hasHeader(this.wire.headers, 'x-forwarded-proto') ? this.view?.secure : undefined;
      this.#secure = forwarded ?? this.wire.encrypted;
    }
    return this.#secure;
  }

  /**
   * RFC 9112 §3.2.2: an absolute-form target's authority is the request's own, and Host is ignored. A
   * framework reads Host (or what its trust-proxy rules forward), so its answer stands only where it is not
   * the Host header that the target's authority overrides. It differs from the Host header only through a
   * forwarding header it may trust: without X-Forwarded-Host the framework is not asked.
   */
  get host(): string {
    if (this.#host !== undefined) return this.#host;
    const framework = hasHeader(this.wire.headers, 'x-forwarded-host') ? this.view?.host : undefined;
    this.#host = framework === undefined || framework === this.wire.hostHeader ? this.wire.authority : framework;
    return this.#host;
  }

  get ip(): string | undefined {
    return this.view?.ip ?? this.wire.peerAddress;
  }

  get request(): UpgradeRequest {
    return this.wire.request;
  }
}
