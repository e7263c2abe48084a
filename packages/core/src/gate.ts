/**
 * The gate: one application's WebSocket endpoints, their shared policies and their connections. The
 * handshake itself is decided in pipeline.ts; this is the public face — routes for `attach`, shutdown,
 * and what an app may observe.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { type GateOptions, GateState } from './gate-state.js';
import { dispatchUpgrade, handleRequest, type UpgradeListener, type UpgradeServer } from './node.js';
import { checkGateOptions } from './options.js';
import { checkRoutePath, compileRoute, type Route, type RouteOptions } from './route.js';
import type { ConnectionHandler } from './upgrade.js';

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

  /** Whether `close()` has begun: new handshakes get 503 SHUTTING_DOWN. */
  get closing(): boolean {
    return this.#state.closing;
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
   * Serves the routes on a node:http(s) server (or an HTTP/2 server with allowHTTP1). Other requests are
   * served as before: see node.ts. `fallback` takes WebSocket handshakes on paths without a route (e.g.
   * a dev server's own upgrade handler).
   */
  attach(server: UpgradeServer, options: { fallback?: UpgradeListener } = {}): this {
    const { fallback } = options;
    server.on('upgrade', (request, socket, head) =>
      dispatchUpgrade(this, this.#state, this.#routes, server as never, fallback, request, socket, head),
    );
    return this;
  }

  /** The 'upgrade' listener itself, for servers wired by hand. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const server = (socket as Duplex & { server?: unknown }).server;
    dispatchUpgrade(this, this.#state, this.#routes, server as never, undefined, request, socket, head);
  }

  /**
   * For the app's request handler: answers a plain (non-upgrade) request to a route's path with 426 and
   * returns true; returns false for every other request.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    return handleRequest(this.#routes, request, response);
  }

  /**
   * Graceful shutdown: new handshakes get 503 SHUTTING_DOWN, open connections are closed with 1001
   * (RFC 6455 §7.4.1 "going away"), and the promise resolves once they are gone or, at `timeout` ms,
   * after the stragglers are terminated.
   */
  async close({ timeout = 5_000 }: { timeout?: number } = {}): Promise<void> {
    const state = this.#state;
    state.closing = true;
    const open = [...state.sockets];
    const closed = open.map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    for (const socket of open) socket.close(1001, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([Promise.all(closed), deadline]);
    clearTimeout(timer);
    for (const socket of state.sockets) socket.terminate();
    await Promise.all(closed); // terminated ones report 'close' on the next turn
  }
}

export function createGate(options?: GateOptions): Gate {
  return new Gate(options);
}
