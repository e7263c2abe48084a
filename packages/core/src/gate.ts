/**
 * The gate: the whole handshake pipeline, top to bottom, in this one file.
 *
 *   gate.open(request, socket, head)      protocol checks (RFC 6455 §4.2.1) -> Host -> shutdown -> pending cap
 *     [an adapter runs the framework's routing and app-wide middleware here, under the same deadline]
 *   handshake.admit(route, facts)         Origin -> fetch metadata -> subprotocols / extensions
 *     [an adapter runs the route's own middleware here: the framework's auth is part of the hook step]
 *   handshake.accept(route, facts)        onUpgrade hook -> quotas -> 101 -> ws -> handler(socket, context)
 *
 * `accept` runs `admit` itself when an adapter (or `attach`) did not.
 *
 * Any step may answer with a Rejection from the table in rejection.ts; the socket is then closed once the
 * response is flushed. A client that goes away, or a deadline that passes, ends the handshake wherever it is:
 * nothing after it runs, and the handler is never called.
 */

import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import {
  type FrameOptions,
  type NegotiatedDeflate,
  negotiatePerMessageDeflate,
  type PerMessageDeflateOptions,
  startWebSocket,
} from './engine/ws.js';
import { type ExtensionOffer, parseExtensions } from './handshake/extensions.js';
import { acceptKey, checkOpeningHandshake } from './handshake/rfc6455.js';
import { negotiateSubprotocol, parseSubprotocols, type SubprotocolSelector } from './handshake/subprotocol.js';
import { checkField, fieldValues } from './http/fields.js';
import { type HeaderLines, hasHeader, headerLines } from './http/raw-headers.js';
import { closeAfterFlush, formatRejection, formatSwitchingProtocols } from './http/response.js';
import { type CookieParser, joinCookieHeaders, RequestCookies } from './policy/cookies.js';
import { fetchMetadataAllows } from './policy/fetch-metadata.js';
import { allowHosts, defaultHostPolicy, type HostPolicy, parseHost } from './policy/host.js';
import { allowOrigins, type OriginPolicy, sameOrigin } from './policy/origin.js';
import { takeProtocolToken } from './policy/protocol-token.js';
import { acquireQuotas, type Quota } from './policy/quota.js';
import { Rejection, type RejectionBody, type RejectionCode, type RejectionHeaders, reject } from './rejection.js';

// ---------------------------------------------------------------------------------------------------
// Public types

/** What the `onUpgrade` hook sees and can do. */
export interface Upgrade {
  readonly request: IncomingMessage;
  /** The route's path pattern (or the adapter's label for it). */
  readonly route: string;
  /** The request's own scheme and authority, as the framework sees them (trust-proxy applied). */
  readonly secure: boolean;
  readonly host: string;
  readonly origin: string | undefined;
  /** Protocols the client offered, in its order (a protocol token entry removed). */
  readonly offeredProtocols: readonly string[];
  /** The protocol the server selected, if any. */
  readonly protocol: string | undefined;
  /** The token carried in the subprotocol list (`protocolToken` option), never echoed back. */
  readonly protocolToken: string | undefined;
  /** Cookies, parsed on first access (or the framework's own, from the adapter). */
  readonly cookies: Readonly<Record<string, string | undefined>>;
  /** Signed cookies that verify against `cookieSecret`; forged ones are absent. */
  readonly signedCookies: Readonly<Record<string, string | undefined>>;
  /** Aborted when the client goes away or the handshake deadline passes. */
  readonly signal: AbortSignal;
  /** Adds a header to the 101 response (e.g. Set-Cookie). Checked for CR/LF before it is written. */
  setHeader(name: string, value: string | readonly string[]): void;
  /** A rejection to return (or throw) from the hook: any status, body (string, Buffer or JSON) and headers. */
  reject(status: number, body?: RejectionBody, headers?: RejectionHeaders): Rejection;
}

/** Returns the connection's context, or a Rejection. May be async; the deadline covers it. */
export type UpgradeHook<Context> = (upgrade: Upgrade) => Context | Rejection | Promise<Context | Rejection>;

export interface Connection<Context> {
  readonly context: Context;
  readonly request: IncomingMessage;
  readonly protocol: string | undefined;
  readonly route: string;
}

/** Called once the 101 is written. A throw or a rejected promise is reported and closes the socket with 1011. */
export type ConnectionHandler<Context> = (socket: WebSocket, connection: Connection<Context>) => unknown;

/** Options that may differ per route; set on the gate, they are every route's defaults. */
export interface RouteOptions<Context = unknown> {
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
  /** Connection quotas (per IP, per key, per route). */
  quotas?: readonly Quota[];
  onUpgrade?: UpgradeHook<Context>;
}

export interface GateOptions extends RouteOptions<unknown> {
  /** Which Host values are served (the DNS-rebinding defence). Default `defaultHostPolicy()`. */
  hosts?: HostPolicy | readonly string[];
  /** Handshakes allowed in flight at once; the excess gets 503 OVERLOADED. Default 1024. */
  maxPending?: number;
  /** Secrets for signed cookies; the first signs, all verify (rotation). */
  cookieSecret?: string | readonly string[];
  parseCookies?: CookieParser;
  /** Called for every accepted, rejected and aborted handshake (also on diagnostics_channel). */
  onEvent?: (event: HandshakeEvent) => void;
  /** Programming errors (a hook that threw, an unsafe header, a protocol the client never offered). */
  onError?: (error: unknown, request: IncomingMessage) => void;
}

export interface HandshakeEvent {
  readonly outcome: 'accept' | 'reject' | 'abort';
  /** The rejection code, or `CLIENT_GONE` for an abort; undefined when accepted. */
  readonly code: RejectionCode | 'CLIENT_GONE' | undefined;
  readonly status: number | undefined;
  readonly route: string | undefined;
  readonly durationMs: number;
  readonly request: IncomingMessage;
}

/** What an adapter knows better than the raw request. */
export interface RequestFacts {
  secure?: boolean;
  host?: string;
  cookies?: Readonly<Record<string, string | undefined>>;
  signedCookies?: Readonly<Record<string, string | undefined>>;
}

/** node:diagnostics_channel channels, one per outcome. */
export const channels = {
  accept: channel('wsgate:handshake:accept'),
  reject: channel('wsgate:handshake:reject'),
  abort: channel('wsgate:handshake:abort'),
} as const;

// ---------------------------------------------------------------------------------------------------
// Routes: options merged and compiled once, not per handshake

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PENDING = 1024;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const MAX_EARLY_BYTES = 64 * 1024;

export interface Route<Context> {
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
  readonly onUpgrade: UpgradeHook<Context> | undefined;
  readonly handler: ConnectionHandler<Context>;
}

function compileRoute<Context>(
  path: string,
  defaults: RouteOptions<unknown>,
  options: RouteOptions<Context>,
  handler: ConnectionHandler<Context>,
): Route<Context> {
  const merged = { ...defaults, ...options } as RouteOptions<Context>;
  const origin = merged.origin;
  const deflate = merged.perMessageDeflate;
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
    handshakeTimeout: merged.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    frames: { ...merged.frames, maxPayload: merged.maxPayload ?? DEFAULT_MAX_PAYLOAD },
    quotas: merged.quotas ?? [],
    onUpgrade: merged.onUpgrade,
    handler,
  };
}

// ---------------------------------------------------------------------------------------------------
// The gate

export class Gate {
  readonly #options: GateOptions;
  readonly #hostPolicy: HostPolicy;
  readonly #maxPending: number;
  /** @internal the deadline that runs from `open` until a route says otherwise */
  readonly handshakeTimeout: number;
  readonly #secrets: readonly string[];
  readonly #routes = new Map<string, Route<unknown>>();
  readonly #sockets = new Set<WebSocket>();
  /** One 'close' listener for every socket of this gate: `this` is the socket that closed. */
  readonly #untrack: (this: WebSocket) => void;
  #pending = 0;
  #closing = false;

  constructor(options: GateOptions = {}) {
    this.#options = options;
    const sockets = this.#sockets;
    this.#untrack = function untrack(this: WebSocket) {
      sockets.delete(this);
    };
    const hosts = options.hosts;
    this.#hostPolicy =
      hosts === undefined ? defaultHostPolicy() : typeof hosts === 'function' ? hosts : allowHosts(hosts);
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const secret = options.cookieSecret;
    this.#secrets = secret === undefined ? [] : typeof secret === 'string' ? [secret] : secret;
  }

  /** Handshakes in flight. */
  get pending(): number {
    return this.#pending;
  }

  /** Whether `close()` has begun: new handshakes get 503 SHUTTING_DOWN. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Open WebSocket connections accepted by this gate. */
  get connections(): ReadonlySet<WebSocket> {
    return this.#sockets;
  }

  /** Compiles a route over the gate's defaults (for adapters and `route`). */
  defineRoute<Context>(
    path: string,
    options: RouteOptions<Context>,
    handler: ConnectionHandler<Context>,
  ): Route<Context> {
    return compileRoute(path, this.#options, options, handler);
  }

  /** Registers a WebSocket endpoint for `attach` / `handleUpgrade` (exact path match, query ignored). */
  route<Context>(path: string, options: RouteOptions<Context>, handler: ConnectionHandler<Context>): this {
    this.#routes.set(path, this.defineRoute(path, options, handler) as unknown as Route<unknown>);
    return this;
  }

  /**
   * Step one, before any routing: RFC 6455 §4.2.1, the Host policy, shutdown and the pending cap.
   * Returns the pending handshake, or undefined once a rejection has been written.
   * An adapter passes the framework `response` it created over the socket, so that the deadline knows
   * when the application has started to answer on its own.
   */
  open(request: IncomingMessage, socket: Duplex, head: Buffer, response?: ServerResponse): Handshake | undefined {
    const started = performance.now();
    const headers: HeaderLines = request.rawHeaders;
    const checked = checkOpeningHandshake({
      method: request.method ?? '',
      httpVersionMajor: request.httpVersionMajor,
      httpVersionMinor: request.httpVersionMinor,
      headers,
    });
    if (checked instanceof Rejection) return this.#refuse(socket, checked, request, started);
    const rejection = this.#admit(checked.host, request);
    if (rejection !== undefined) return this.#refuse(socket, rejection, request, started);
    return new Handshake(this, request, socket, head, headers, checked.key, checked.host, started, response);
  }

  #refuse(socket: Duplex, rejection: Rejection, request: IncomingMessage, started: number): undefined {
    socket.on('error', ignoreSocketError);
    const written = this.writeRejection(socket, rejection, request);
    this.publish('reject', written.code, written.status, undefined, started, request);
    return undefined;
  }

  /** Host (RFC 9110 §7.2, the DNS-rebinding defence), then the gate's own capacity. */
  #admit(host: string, request: IncomingMessage): Rejection | undefined {
    if (parseHost(host) === undefined) return reject.badHost;
    if (!this.#hostPolicy(host, request)) return reject.hostForbidden;
    if (this.#closing) return reject.shuttingDown;
    if (this.#pending >= this.#maxPending) return reject.overloaded;
    return undefined;
  }

  /** Registered routes over one node:http(s) request: `open`, route by path (404 otherwise), `accept`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const route = this.#routes.get(pathOf(request));
    const handshake = this.open(request, socket, head);
    if (handshake === undefined) return;
    if (route === undefined) handshake.reject(reject.notFound);
    else void handshake.accept(route);
  }

  /**
   * For an ordinary request handler: answers a plain (non-upgrade) request to a WebSocket route with
   * 426 NOT_AN_UPGRADE and returns true; returns false for every other path.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    if (!this.#routes.has(pathOf(request))) return false;
    const { status, headers, body } = reject.notAnUpgrade;
    response
      .writeHead(status, { ...headers, Connection: 'Upgrade', 'Content-Type': 'text/plain; charset=utf-8' })
      .end(body);
    return true;
  }

  /**
   * Serves the registered routes on a node:http or https server. Upgrades on other paths get 404, whatever
   * protocol they ask for: pass `fallback` to hand those to another upgrade handler (e.g. a dev server's).
   */
  attach(
    server: {
      on(event: 'upgrade', listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
    },
    options: { fallback?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void } = {},
  ): this {
    const { fallback } = options;
    server.on('upgrade', (request, socket, head) => {
      if (fallback !== undefined && !this.#routes.has(pathOf(request))) fallback(request, socket, head);
      else this.handleUpgrade(request, socket, head);
    });
    return this;
  }

  /**
   * Graceful shutdown: new handshakes get 503 SHUTTING_DOWN, open connections are closed with 1001
   * (RFC 6455 §7.4.1 "going away"), and the promise resolves once they are gone or, at `timeout` ms,
   * after the stragglers are terminated.
   */
  async close({ timeout = 5_000 }: { timeout?: number } = {}): Promise<void> {
    this.#closing = true;
    const open = [...this.#sockets];
    const closed = open.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    for (const socket of open) socket.close(1001, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([Promise.all(closed), deadline]);
    clearTimeout(timer);
    for (const socket of this.#sockets) socket.terminate();
    await Promise.all(closed); // terminated ones report 'close' on the next turn
  }

  // -- for Handshake ------------------------------------------------------------------------------

  /** @internal */
  get secrets(): readonly string[] {
    return this.#secrets;
  }
  /** @internal */
  get cookieParser(): CookieParser | undefined {
    return this.#options.parseCookies;
  }

  /** @internal */
  countPending(delta: 1 | -1): void {
    this.#pending += delta;
  }
  /** @internal */
  track(socket: WebSocket): void {
    this.#sockets.add(socket);
    socket.on('close', this.#untrack);
  }

  /** @internal */
  reportError(error: unknown, request: IncomingMessage): void {
    const onError = this.#options.onError;
    if (onError !== undefined) onError(error, request);
    else console.error('wsgate:', error);
  }

  /** @internal Writes a rejection; one whose headers are unsafe becomes 500 HOOK_FAILED. */
  writeRejection(socket: Duplex, rejection: Rejection, request: IncomingMessage): Rejection {
    let bytes: Buffer;
    try {
      bytes = formatRejection(rejection);
    } catch (error) {
      this.reportError(error, request);
      rejection = reject.hookFailed;
      bytes = formatRejection(rejection);
    }
    closeAfterFlush(socket, bytes);
    return rejection;
  }

  /** @internal */
  publish(
    outcome: HandshakeEvent['outcome'],
    code: HandshakeEvent['code'],
    status: number | undefined,
    route: string | undefined,
    started: number,
    request: IncomingMessage,
  ): void {
    const onEvent = this.#options.onEvent;
    const target = channels[outcome];
    // Observability costs nothing when nobody listens.
    if (onEvent === undefined && !target.hasSubscribers) return;
    const event: HandshakeEvent = { outcome, code, status, route, durationMs: performance.now() - started, request };
    if (target.hasSubscribers) target.publish(event);
    onEvent?.(event);
  }
}

export function createGate(options?: GateOptions): Gate {
  return new Gate(options);
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function ignoreSocketError(): void {
  // A reset while we answer is the client's business; the 'close' that follows cleans up.
}

/** Handshakes opened in this turn of the event loop, armed together once it is over. */
let unarmed: Handshake[] = [];

function armLater(handshake: Handshake): void {
  if (unarmed.length === 0) setImmediate(armAll);
  unarmed.push(handshake);
}

function armAll(): void {
  const handshakes = unarmed;
  unarmed = [];
  for (const handshake of handshakes) handshake.arm();
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

// ---------------------------------------------------------------------------------------------------
// One handshake in flight

/**
 * The request's own scheme and authority, resolved on first use: an adapter's trust-proxy view is not
 * free, and only an Origin to check (or a hook that asks) needs it.
 */
class RequestSite {
  #secure: boolean | undefined;
  #host: string | undefined;
  constructor(
    readonly facts: RequestFacts,
    readonly socket: Duplex,
    readonly rawHost: string,
  ) {}
  get secure(): boolean {
    this.#secure ??= this.facts.secure ?? (this.socket as Partial<TLSSocket>).encrypted === true;
    return this.#secure;
  }
  get host(): string {
    this.#host ??= this.facts.host ?? this.rawHost;
    return this.#host;
  }
}

/** What `admit` established, for `accept`. */
interface Admission {
  readonly route: Route<unknown>;
  readonly site: RequestSite;
  readonly origin: string | undefined;
  readonly offered: readonly string[];
  readonly token: string | undefined;
  readonly offers: readonly ExtensionOffer[];
  readonly protocol: string | undefined;
}

enum State {
  Pending,
  Done,
}

export class Handshake {
  readonly request: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly #gate: Gate;
  readonly #headers: HeaderLines;
  readonly #key: string;
  readonly #host: string;
  readonly #started: number;
  readonly #response: ServerResponse | undefined;
  #state = State.Pending;
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;
  #route: string | undefined;
  #bound: Route<unknown> | undefined;
  #admission: Admission | undefined;
  /** Bytes that arrive while the handshake is pending: frames the client sent early, for ws. */
  #early: Buffer[] | undefined;
  #earlyBytes = 0;
  /** The socket listeners of an armed handshake (see `arm`). */
  #watch: { close(): void; end(): void; data(chunk: Buffer): void } | undefined;

  /** @internal use `gate.open` */
  constructor(
    gate: Gate,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    headers: HeaderLines,
    key: string,
    host: string,
    started: number,
    response: ServerResponse | undefined,
  ) {
    this.#gate = gate;
    this.request = request;
    this.socket = socket;
    this.head = head;
    this.#headers = headers;
    this.#key = key;
    this.#host = host;
    this.#started = started;
    this.#response = response;
    gate.countPending(1);
    socket.on('error', ignoreSocketError);
    // Watching the socket and the deadline matters only if the handshake outlives this turn of the event
    // loop (an async hook or middleware): most complete before, and skip the cost.
    armLater(this);
    // An application answering on its own (an adapter's framework response) ends the handshake.
    response?.once('finish', () => this.#finish('reject', 'REJECTED', response.statusCode));
  }

  /** @internal Called once the turn that opened the handshake is over, if it is still pending. */
  arm(): void {
    if (this.#state !== State.Pending) return;
    const socket = this.socket;
    const watch = {
      close: () => this.#aborted(),
      // The client half-closed before the 101 (ws destroys such sockets too): it cannot be a WebSocket.
      end: () => {
        this.#aborted();
        socket.destroy();
      },
      // Bytes that arrive while the handshake is pending: frames the client sent early, for ws.
      data: (chunk: Buffer) => {
        if (this.#early === undefined) this.#early = [chunk];
        else this.#early.push(chunk);
        this.#earlyBytes += chunk.length;
        // Past this much, stop reading: a client may not make us buffer without bound while a hook runs.
        if (this.#earlyBytes > MAX_EARLY_BYTES) socket.pause();
      },
    };
    this.#watch = watch;
    socket.on('close', watch.close);
    // Node leaves an upgraded socket unread; reading it is how a client that goes away is noticed.
    socket.on('end', watch.end);
    socket.on('data', watch.data);
    if (this.#timer === undefined) this.#setDeadline(this.#bound?.handshakeTimeout ?? this.#gate.handshakeTimeout);
  }

  /** Whether the handshake is still waiting for a decision. */
  get pending(): boolean {
    return this.#state === State.Pending;
  }

  /** Aborted when the client goes away or the deadline passes. Created on first use. */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    return this.#abort.signal;
  }

  /** Refuses the handshake with a rejection from the table (or the application's own). */
  reject(rejection: Rejection): void {
    if (this.#state !== State.Pending) return;
    const written = this.#gate.writeRejection(this.socket, rejection, this.request);
    this.#finish('reject', written.code, written.status);
  }

  /**
   * Step two, as soon as the route is known and before the application's own code (an adapter calls it
   * before the route's middleware): Origin, fetch metadata, subprotocols and extensions. Resolves to
   * whether the handshake may go on; when not, the rejection has been written. `accept` runs it itself
   * when it was not done for that route.
   */
  async admit(route: Route<unknown>, facts: RequestFacts = {}): Promise<boolean> {
    try {
      return (await this.#admit(route, facts)) !== undefined;
    } catch (error) {
      this.#failed(error);
      return false;
    }
  }

  /**
   * Step three: the hook, quotas, the 101 and the hand-off to the handler.
   * Never rejects: every failure is answered on the socket.
   */
  async accept<Context>(route: Route<Context>, facts: RequestFacts = {}): Promise<void> {
    try {
      await this.#accept(route, facts);
    } catch (error) {
      this.#failed(error);
    }
  }

  /** A hook that threw something other than a Rejection, or a bug of ours: 500, reported, never leaked. */
  #failed(error: unknown): void {
    if (error instanceof Rejection) {
      this.reject(error);
      return;
    }
    if (this.#state === State.Pending) this.#gate.reportError(error, this.request);
    this.reject(reject.hookFailed);
  }

  /**
   * Names the route as soon as the framework has matched it: events carry its path and, given the compiled
   * route, its `handshakeTimeout` applies from now on (counted from the request). A bare path only names.
   */
  bind(route: Route<unknown> | string): void {
    if (typeof route === 'string') {
      this.#route ??= route;
      return;
    }
    if (this.#bound === route) return;
    this.#bound = route;
    this.#route = route.path;
    if (route.handshakeTimeout !== this.#gate.handshakeTimeout && this.#state === State.Pending) {
      this.#setDeadline(route.handshakeTimeout);
    }
  }

  async #admit(route: Route<unknown>, facts: RequestFacts): Promise<Admission | undefined> {
    if (this.#admission?.route === route) return this.#admission;
    if (this.#state !== State.Pending) return undefined;
    this.bind(route);
    const request = this.request;
    const headers = this.#headers;
    const site = new RequestSite(facts, this.socket, this.#host);

    // Origin (RFC 6454 §7; RFC 6455 §10.2): the browser's word on who opened this connection.
    const originLines = headerLines(headers, 'origin');
    if (originLines.length > 1) return this.#refuse(reject.badOrigin);
    const origin = originLines[0];
    if (origin === undefined) {
      const allowed =
        route.missingOrigin === 'allow' ||
        (route.missingOrigin === 'allow-without-cookies' && !hasHeader(headers, 'cookie'));
      if (!allowed) return this.#refuse(reject.originForbidden);
    } else {
      const verdict = route.originPolicy(origin, { secure: site.secure, host: site.host, request });
      const allowed = isPromise(verdict) ? await verdict : verdict;
      if (this.#state !== State.Pending) return undefined;
      if (!allowed) return this.#refuse(reject.originForbidden);
    }

    // Fetch metadata: a browser that says the page is cross-site is refused without any origin list.
    if (route.fetchMetadata && !fetchMetadataAllows(headerLines(headers, 'sec-fetch-site'))) {
      return this.#refuse(reject.crossSiteForbidden);
    }

    // Subprotocols (RFC 6455 §4.2.2 (5.5)) and extensions (§9.1): parsed strictly, chosen by the server.
    const parsedProtocols = parseSubprotocols(headerLines(headers, 'sec-websocket-protocol'));
    if (parsedProtocols instanceof Rejection) return this.#refuse(parsedProtocols);
    const { offered, token } = takeProtocolToken(parsedProtocols, route.protocolToken);
    const offers = parseExtensions(headerLines(headers, 'sec-websocket-extensions'));
    if (offers instanceof Rejection) return this.#refuse(offers);
    let protocol: string | undefined;
    const selector = route.subprotocols;
    if (selector !== undefined && offered.length > 0) {
      if (typeof selector === 'function') {
        const chosen = selector(offered, request);
        protocol = isPromise(chosen) ? await chosen : chosen;
        if (this.#state !== State.Pending) return undefined;
      } else {
        protocol = negotiateSubprotocol(offered, selector);
      }
    }
    if (protocol !== undefined && !offered.includes(protocol)) {
      // §4.2.2: the server's protocol MUST be one the client offered; the client would fail the connection.
      // Never quoted: the selector may have returned the protocol token entry.
      this.#gate.reportError(
        new Error('wsgate: the subprotocol selector chose a protocol the client did not offer'),
        request,
      );
      return this.#refuse(reject.hookFailed);
    }
    if (protocol === undefined && route.requireSubprotocol) return this.#refuse(reject.noSubprotocol);
    this.#admission = { route, site, origin, offered, token, offers, protocol };
    return this.#admission;
  }

  #refuse(rejection: Rejection): undefined {
    this.reject(rejection);
    return undefined;
  }

  async #accept<Context>(route: Route<Context>, facts: RequestFacts): Promise<void> {
    const admission = await this.#admit(route as Route<unknown>, facts);
    if (admission === undefined || this.#state !== State.Pending) return;
    const request = this.request;
    const { offers, protocol } = admission;

    // The application's hook: authentication, authorization, the connection's context.
    const extraHeaders: Record<string, string | readonly string[]> = {};
    let context: Context = undefined as Context;
    if (route.onUpgrade !== undefined) {
      const upgrade = this.#upgradeView(admission, facts, extraHeaders);
      const result = route.onUpgrade(upgrade);
      const outcome = isPromise(result) ? await result : result;
      if (this.#state !== State.Pending) return;
      if (outcome instanceof Rejection) return this.reject(outcome);
      context = outcome;
    }

    // Quotas last, so that a key function can use the hook's context (e.g. the user id).
    let release: (() => void) | undefined;
    if (route.quotas.length > 0) {
      const held = await acquireQuotas(route.quotas, request, route.path, context);
      if (held instanceof Rejection) return this.reject(held);
      release = held;
      if (this.#state !== State.Pending) return release();
    }

    // The gate began to close while the hook ran: no new connection now.
    if (this.#gate.closing) {
      release?.();
      return this.reject(reject.shuttingDown);
    }

    // The 101 (RFC 6455 §4.2.2 (5)), then ws takes the socket.
    let deflate: NegotiatedDeflate | undefined;
    if (route.perMessageDeflate !== undefined && offers.length > 0) {
      deflate = negotiatePerMessageDeflate(offers, route.perMessageDeflate, route.frames.maxPayload);
    }
    let response: string;
    try {
      response = formatSwitchingProtocols(
        'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(this.#key)}\r\n` +
          (protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
          (deflate === undefined ? '' : `Sec-WebSocket-Extensions: ${deflate.header}\r\n`),
        extraHeaders,
      );
    } catch (error) {
      release?.();
      deflate?.extension.cleanup();
      this.#gate.reportError(error, request);
      return this.reject(reject.hookFailed);
    }
    this.#settle(false);
    const socket = this.socket;
    socket.write(response);
    const early = this.#early;
    const head = early === undefined ? this.head : Buffer.concat([this.head, ...early]);
    const websocket = startWebSocket(socket, head, protocol, deflate, route.frames);
    // Reading was paused if the client sent too much before the 101: ws's listener alone does not resume it.
    socket.resume();
    socket.removeListener('error', ignoreSocketError);
    if (release !== undefined) websocket.once('close', release);
    this.#gate.track(websocket);
    this.#gate.publish('accept', undefined, 101, route.path, this.#started, request);
    // After the 101 there is no HTTP answer left to give: a handler that fails is reported, and its
    // socket closed as "internal error" (RFC 6455 §7.4.1).
    const failed = (error: unknown) => {
      this.#gate.reportError(error, request);
      if (websocket.readyState === websocket.OPEN) websocket.close(1011);
    };
    try {
      const result = route.handler(websocket, { context, request, protocol, route: route.path });
      if (isPromise(result)) result.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  }

  #upgradeView(
    { route, site, origin, offered, protocol, token }: Admission,
    facts: RequestFacts,
    extraHeaders: Record<string, string | readonly string[]>,
  ): Upgrade {
    const handshake = this;
    let cookies: RequestCookies | undefined;
    const cookieLines = headerLines(this.#headers, 'cookie');
    const jar = () => {
      cookies ??= new RequestCookies(
        cookieLines.length === 0 ? undefined : joinCookieHeaders(cookieLines),
        this.#gate.secrets,
        this.#gate.cookieParser,
      );
      return cookies;
    };
    return {
      request: this.request,
      route: route.path,
      get secure() {
        return site.secure;
      },
      get host() {
        return site.host;
      },
      origin,
      offeredProtocols: offered,
      protocol,
      protocolToken: token,
      get cookies() {
        return facts.cookies ?? jar().all;
      },
      get signedCookies() {
        return facts.signedCookies ?? jar().signed;
      },
      get signal() {
        return handshake.signal;
      },
      setHeader(name, value) {
        for (const text of fieldValues(value)) checkField('handshake', name, text);
        extraHeaders[name] = value;
      },
      reject: reject.rejected,
    };
  }

  #setDeadline(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (ms <= 0) return;
    const remaining = Math.max(0, ms - (performance.now() - this.#started));
    this.#timer = setTimeout(() => this.#timedOut(), remaining);
  }

  #timedOut(): void {
    if (this.#state !== State.Pending) return;
    // The application has started its own answer: it is no longer ours to replace.
    if (this.#response?.headersSent) return;
    this.reject(reject.handshakeTimeout);
  }

  #aborted(): void {
    if (this.#state !== State.Pending) return;
    this.#finish('abort', 'CLIENT_GONE', undefined);
  }

  #finish(outcome: HandshakeEvent['outcome'], code: HandshakeEvent['code'], status: number | undefined): void {
    if (this.#state !== State.Pending) return;
    this.#settle(true);
    this.#gate.publish(outcome, code, status, this.#route, this.#started, this.request);
  }

  /** Leaves the pending state exactly once: timer, pending count, listeners, and the signal when it failed. */
  #settle(failed: boolean): void {
    this.#state = State.Done;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#gate.countPending(-1);
    const watch = this.#watch;
    if (watch !== undefined) {
      this.socket.removeListener('close', watch.close);
      this.socket.removeListener('end', watch.end);
      this.socket.removeListener('data', watch.data);
    }
    // Created now if nobody asked yet: a hook that reads the signal later must find it aborted.
    if (failed) {
      this.#abort ??= new AbortController();
      this.#abort.abort();
    }
  }
}
