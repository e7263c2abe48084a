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

export interface GateOptions extends RouteOptions<unknown>, EventOptions {
  /** Which Host values are served (the DNS-rebinding defence). Default `defaultHostPolicy()`. */
  hosts?: HostPolicy | readonly string[];
  /** Handshakes allowed in flight at once; the excess gets 503 OVERLOADED. Default 1024. */
  maxPending?: number;
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

export class GateState {
  readonly options: GateOptions;
  readonly hostPolicy: HostPolicy;
  readonly maxPending: number;
  /** The deadline that runs from the request until a route says otherwise. */
  readonly handshakeTimeout: number;
  readonly cookies: CookieSource;
  readonly events: GateEvents;
  /** The open connections, their keys, heartbeats and expiries. */
  readonly registry: Registry;
  readonly revoker: Revoker;
  /** HTTP/2 sessions the gate took a stream on: `close()` ends them (Node 20's `server.close()` does not). */
  readonly sessions = new Set<Http2Session>();
  pending = 0;
  closing = false;
  draining = false;

  constructor(options: GateOptions) {
    this.options = options;
    const hosts = options.hosts;
    this.hostPolicy =
      hosts === undefined ? defaultHostPolicy() : typeof hosts === 'function' ? hosts : allowHosts(hosts);
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.handshakeTimeout = defaultHandshakeTimeout(options);
    const secret = options.cookieSecret;
    this.cookies = {
      secrets: secret === undefined ? [] : typeof secret === 'string' ? [secret] : secret,
      parser: options.parseCookies,
    };
    this.events = new GateEvents(options);
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

  /** Shutdown, then the cap on handshakes in flight. */
  checkCapacity(): Rejection | undefined {
    if (this.closing) return reject.shuttingDown;
    if (this.pending >= this.maxPending) return reject.overloaded;
    return undefined;
  }

  trackSession(session: Http2Session | undefined): void {
    if (session === undefined || this.sessions.has(session) || session.destroyed) return;
    const sessions = this.sessions;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  }
}
