/**
 * The gate: one application's WebSocket endpoints, their shared policies and their connections. The
 * handshake itself is decided in pipeline.ts; this is the public face — routes for `attach`, shutdown,
 * and what an app may observe.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ConnectionHandler } from './decision/hook.js';
import { checkGateOptions } from './decision/options.js';
import { checkRoutePath, compileRoute, type Route, type RouteOptions } from './decision/route.js';
import { CloseCodes } from './lifecycle/close-codes.js';
import { type DrainOptions, type DrainResult, drainConnections } from './lifecycle/drain.js';
import { type GateOptions, GateState } from './lifecycle/gate-state.js';
import type { Revocation, RevocationKey, RevokeOptions } from './lifecycle/revocation.js';
import { isHttp2Server, serveExtendedConnect } from './serve/http2-server.js';
import {
  dispatchConnect,
  dispatchUpgrade,
  handleRequest,
  type UpgradeListener,
  type UpgradeServer,
} from './serve/node-server.js';

export type { GateOptions };

let stateOf: (gate: Gate) => GateState;

/** A gate's shared state, for the core's own modules (the adapter SPI, the pipeline). */
export function gateState(gate: Gate): GateState {
  return stateOf(gate);
}

export class Gate {
  readonly #state: GateState;
  readonly #routes = new Map<string, Route<unknown>>();

  static {
    stateOf = (gate) => gate.#state;
  }

  constructor(options: GateOptions = {}) {
    checkGateOptions(options);
    this.#state = new GateState(options);
  }

  /** Handshakes in flight. */
  get pending(): number {
    return this.#state.pending;
  }

  /** Whether `close()` or `drain()` has begun: new handshakes get 503 SHUTTING_DOWN. */
  get closing(): boolean {
    return this.#state.closing;
  }

  /** Whether `drain()` has begun. */
  get draining(): boolean {
    return this.#state.draining;
  }

  /** For a readiness probe: false once the gate drains or closes (it takes no new connection). */
  get ready(): boolean {
    return !this.#state.closing;
  }

  /** Open WebSocket connections accepted by this gate. */
  get connections(): ReadonlySet<WebSocket> {
    return this.#state.sockets;
  }

  /** Registers a WebSocket endpoint for `attach` / `handleUpgrade`: an exact path (the query is ignored). */
  route<Context>(path: string, handler: ConnectionHandler<Context>): this;
  route<Context>(path: string, options: RouteOptions<Context>, handler: ConnectionHandler<Context>): this;
  route<Context>(
    path: string,
    options: RouteOptions<Context> | ConnectionHandler<Context>,
    handler?: ConnectionHandler<Context>,
  ): this {
    checkRoutePath(path);
    if (this.#routes.has(path)) throw new TypeError(`wsgate: the route ${JSON.stringify(path)} is already defined`);
    const [own, last] = typeof options === 'function' ? [{}, options] : [options, handler];
    const route = compileRoute(path, this.#state.options, own, last as ConnectionHandler<Context>);
    this.#routes.set(path, route as Route<unknown>);
    return this;
  }

  /**
   * Serves the routes on a node:http(s) server, or a node:http2 one: HTTP/1.1 upgrades (with allowHTTP1)
   * and HTTP/2 extended CONNECT (RFC 8441) on the same port, through the same policies, hook and handler.
   * Other requests are served as before: see serve/node-server.ts. `fallback` takes HTTP/1.1 WebSocket handshakes on
   * paths without a route (e.g. a dev server's own upgrade handler).
   *
   * On an HTTP/2 server, attach before `listen`: the server then advertises extended CONNECT in the first
   * SETTINGS of every connection (see http2-server.ts). `http2: false` leaves HTTP/2 alone: nothing is
   * advertised, and browsers open an HTTP/1.1 connection for their WebSockets.
   */
  attach(server: UpgradeServer, options: { fallback?: UpgradeListener; http2?: boolean } = {}): this {
    const { fallback, http2 = true } = options;
    if (typeof http2 !== 'boolean') {
      throw new TypeError(`wsgate: attach option "http2" must be a boolean, got ${typeof http2}`);
    }
    server.on('upgrade', (request, socket, head) =>
      dispatchUpgrade(this.#state, this.#routes, server as never, fallback, request, socket, head),
    );
    if (http2 && isHttp2Server(server)) {
      serveExtendedConnect(server, (request) => dispatchConnect(this.#state, this.#routes, request));
    }
    return this;
  }

  /** The 'upgrade' listener itself, for servers wired by hand. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const server = (socket as Duplex & { server?: unknown }).server;
    dispatchUpgrade(this.#state, this.#routes, server as never, undefined, request, socket, head);
  }

  /**
   * For the app's request handler: answers a plain (non-upgrade) request to a route's path with 426 (400
   * NOT_AN_UPGRADE over HTTP/2, where 426 cannot be written) and returns true; false for every other request.
   */
  handleRequest(
    request: IncomingMessage | Http2ServerRequest,
    response: ServerResponse | Http2ServerResponse,
  ): boolean {
    return handleRequest(this.#routes, request as IncomingMessage, response as ServerResponse);
  }

  /**
   * Closes every open connection that belongs to `key` (see the route option `keys`) with 4001
   * (CloseCodes.revoked) or `options.code`, and returns how many this process closed. With the gate's
   * `revocationChannel` the revocation reaches every process (`published` settles once it is sent);
   * without one, it is local to this process.
   */
  revoke(key: RevocationKey, options?: RevokeOptions): Revocation {
    return this.#state.revoker.revoke(key, options);
  }

  /**
   * Graceful draining for a rolling deploy: new handshakes get 503 SHUTTING_DOWN with Retry-After (and
   * `ready` turns false), open connections close in batches of `batchSize` every `intervalMs` with 1012
   * Service Restart, and whatever is left at `deadlineMs` is terminated. Resolves with the last progress.
   */
  async drain(options: DrainOptions = {}): Promise<DrainResult> {
    const state = this.#state;
    state.closing = true;
    state.draining = true;
    const result = await drainConnections(state.registry, options, 'drain');
    this.#finish();
    return result;
  }

  /**
   * Graceful shutdown: new handshakes get 503 SHUTTING_DOWN, open connections are closed with 1001
   * (RFC 6455 §7.4.1 "going away") at once, and the promise resolves once they are gone or, at `timeout`
   * ms, after the stragglers are terminated. For a deploy, `drain()` spreads the closes over time.
   */
  async close({ timeout = 5_000 }: { timeout?: number } = {}): Promise<void> {
    this.#state.closing = true;
    await drainConnections(
      this.#state.registry,
      {
        batchSize: Number.POSITIVE_INFINITY,
        deadlineMs: timeout,
        code: CloseCodes.goingAway,
        reason: 'server shutting down',
      },
      'shutdown',
    );
    this.#finish();
  }

  /**
   * HTTP/2 connections that carried a WebSocket are closed gracefully (GOAWAY, RFC 9113 §6.8: requests in
   * flight finish): Node 20's `server.close()` waits for every session and closes none. Revocations from
   * other processes stop.
   */
  #finish(): void {
    const state = this.#state;
    state.revoker.stop();
    for (const session of state.sessions) session.close();
  }
}

export function createGate(options?: GateOptions): Gate {
  return new Gate(options);
}
