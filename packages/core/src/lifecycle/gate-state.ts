/**
 * What every handshake of one gate shares: its options resolved once, the Host policy, the count of
 * handshakes in flight, the open connections, shutdown, and where events and errors go.
 */

import type { Http2Session } from 'node:http2';
import type { WebSocket } from 'ws';
import type { CookieSource } from '../decision/hook.js';
import { defaultHandshakeTimeout, type RouteOptions } from '../decision/route.js';
import type { CookieParser } from '../policy/cookies.js';
import { allowHosts, defaultHostPolicy, type HostPolicy, parseHost } from '../policy/host.js';
import { type Rejection, reject } from '../protocol/rejection.js';
import type { UpgradeRequest } from '../protocol/request.js';
import { type EventOptions, GateEvents } from './events.js';
import { Registry } from './registry.js';
import { type RevocationChannel, Revoker } from './revocation.js';
import { SessionPing } from './session-ping.js';
import { GateTelemetry } from './telemetry.js';

export interface GateOptions extends RouteOptions<unknown>, EventOptions {
  /** Which Host values are served (the DNS-rebinding defence). Default `defaultHostPolicy()`. */
  hosts?: HostPolicy | readonly string[];
  /** Handshakes allowed in flight at once; the excess gets 503 OVERLOADED. Default 1024. */
  maxPending?: number;
  /**
   * Handshakes allowed in flight at once on one connection, so that no client takes the whole of
   * `maxPending`: an HTTP/2 connection carries many extended CONNECTs (an HTTP/1.1 one, one upgrade).
   * The excess gets 503 OVERLOADED. Default a sixteenth of `maxPending` (64), at least 1.
   */
  maxPendingPerConnection?: number;
  /**
   * How often an HTTP/2 session that carried a WebSocket handshake is pinged (RFC 9113 §6.7); one that has
   * not answered a ping by the next is destroyed, with its streams, so that a client gone without a word
   * keeps no descriptor, WebSocket or quota lease. Milliseconds, default 30 s; 0 disables.
   */
  http2PingInterval?: number;
  /** Secrets for signed cookies; the first signs, all verify (rotation). */
  cookieSecret?: string | readonly string[];
  parseCookies?: CookieParser;
  /**
   * Carries `gate.revoke` to every process's gate (e.g. `createRedisChannel({ client })` from
   * @wsgate/redis). Without one, a revocation closes this process's connections only.
   */
  revocationChannel?: RevocationChannel;
}

const DEFAULT_MAX_PENDING = 1024;
/** The share of `maxPending` one connection may hold by default. */
const DEFAULT_CONNECTION_SHARE = 16;
const DEFAULT_HTTP2_PING_INTERVAL = 30_000;

export class GateState {
  readonly options: GateOptions;
  readonly hostPolicy: HostPolicy;
  readonly maxPending: number;
  readonly maxPendingPerConnection: number;
  /** The deadline that runs from the request until a route says otherwise. */
  readonly handshakeTimeout: number;
  readonly cookies: CookieSource;
  readonly events: GateEvents;
  /** @internal OpenTelemetry's spans and metrics; undefined when off or without `@opentelemetry/api`. */
  readonly telemetry: GateTelemetry | undefined;
  /** The open connections, their keys, heartbeats and expiries. */
  readonly registry: Registry;
  readonly revoker: Revoker;
  /** HTTP/2 sessions the gate took a stream on: `close()` ends them (Node 20's `server.close()` does not). */
  readonly sessions = new Set<Http2Session>();
  readonly sessionPing: SessionPing;
  pending = 0;
  closing = false;
  /** Handshakes in flight per connection that may carry several (an HTTP/2 session); absent at 0. */
  readonly #pendingOn = new Map<object, number>();
  draining = false;

  constructor(options: GateOptions) {
    this.options = options;
    const hosts = options.hosts;
    this.hostPolicy =
      hosts === undefined ? defaultHostPolicy() : typeof hosts === 'function' ? hosts : allowHosts(hosts);
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.maxPendingPerConnection =
      options.maxPendingPerConnection ?? Math.max(1, Math.ceil(this.maxPending / DEFAULT_CONNECTION_SHARE));
    this.handshakeTimeout = defaultHandshakeTimeout(options);
    const secret = options.cookieSecret;
    this.cookies = {
      secrets: secret === undefined ? [] : typeof secret === 'string' ? [secret] : secret,
      parser: options.parseCookies,
    };
    const telemetry = GateTelemetry.create(options);
    this.telemetry = telemetry;
    this.events = new GateEvents(options, telemetry);
    this.sessionPing = new SessionPing(this.sessions, options.http2PingInterval ?? DEFAULT_HTTP2_PING_INTERVAL);
    this.registry = new Registry(this.events);
    this.revoker = new Revoker(this.registry, options.revocationChannel);
  }

  get sockets(): ReadonlySet<WebSocket> {
    return this.registry.sockets;
  }

  /**
   * RFC 9110 §7.2 and the DNS-rebinding defence: an authority the gate takes for the request's own must
   * be well-formed and served here. Every such authority is asked: Host, an absolute-form target's, and
   * the framework's after trust-proxy (X-Forwarded-Host), which the same-origin check compares Origin with.
   */
  checkHost(host: string, request: UpgradeRequest): Rejection | undefined {
    if (parseHost(host) === undefined) return reject.badHost;
    if (!this.hostPolicy(host, request as never)) return reject.hostForbidden;
    return undefined;
  }

  /** Shutdown, then the cap on handshakes in flight: the connection's share of it, then the whole. */
  checkCapacity(connection: object | undefined): Rejection | undefined {
    if (this.closing) return reject.shuttingDown;
    if (connection !== undefined && (this.#pendingOn.get(connection) ?? 0) >= this.maxPendingPerConnection) {
      return reject.overloaded;
    }
    if (this.pending >= this.maxPending) return reject.overloaded;
    return undefined;
  }

  /** A handshake in flight, on `connection` when it may carry several. */
  hold(connection: object | undefined): void {
    this.pending++;
    if (connection !== undefined) this.#pendingOn.set(connection, (this.#pendingOn.get(connection) ?? 0) + 1);
  }

  /** The handshake's slot comes back. */
  release(connection: object | undefined): void {
    this.pending--;
    if (connection === undefined) return;
    const held = (this.#pendingOn.get(connection) ?? 1) - 1;
    if (held <= 0) this.#pendingOn.delete(connection);
    else this.#pendingOn.set(connection, held);
  }

  trackSession(session: Http2Session | undefined): void {
    if (session === undefined || this.sessions.has(session) || session.destroyed) return;
    const sessions = this.sessions;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    this.sessionPing.start();
  }
}
