/**
 * The open connections of one gate: each with the keys it belongs to, the route and transport that
 * carried it, when it opened, and — once the gate ends it — why. Every close becomes one
 * `ConnectionCloseEvent`. The cause is what the gate did (revoked, expired, heartbeat, drain, shutdown,
 * error: the handler failed); a close the gate did not start is the client's, unless its code says a
 * protocol or internal error (below).
 */

import type { WebSocket } from 'ws';
import { keysOf } from '../decision/lifetime-options.js';
import type { Route } from '../decision/route.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';
import type { CloseCause, GateEvents } from './events.js';
import { scheduleExpiry } from './expiry.js';
import { HeartbeatSweep } from './heartbeat.js';
import type { Tracked } from './tracked.js';

/** Close codes a peer (or ws, for the peer) uses for a broken connection rather than a goodbye. */
const ERROR_CODES = new Set([1002, 1003, 1007, 1009, 1010, 1011, 1014, 1015]);

export class Registry {
  /** The sockets, for `gate.connections`. */
  readonly sockets = new Set<WebSocket>();
  readonly #entries = new Map<WebSocket, Tracked>();
  readonly #byKey = new Map<string, Set<Tracked>>();
  readonly #sweeps = new Map<Route<unknown>, HeartbeatSweep>();
  readonly #events: GateEvents;
  readonly #report: (error: unknown, request: UpgradeRequest) => void;
  #whenEmpty: Array<() => void> = [];
  /** One 'close' and one 'pong' listener for every socket: `this` is the socket. */
  readonly #onClose: (this: WebSocket, code: number) => void;
  readonly #onPong: (this: WebSocket) => void;

  constructor(events: GateEvents) {
    this.#events = events;
    this.#report = (error, request) => events.report(error, request);
    const registry = this;
    const entries = this.#entries;
    this.#onClose = function onClose(this: WebSocket, code: number) {
      const entry = entries.get(this);
      if (entry !== undefined) registry.#closed(entry, code);
    };
    this.#onPong = function onPong(this: WebSocket) {
      const entry = entries.get(this);
      if (entry !== undefined) entry.awaitingPong = false;
    };
  }

  get size(): number {
    return this.#entries.size;
  }

  entries(): IterableIterator<Tracked> {
    return this.#entries.values();
  }

  /** Tracks an accepted connection: its keys, expiry and heartbeat. A `keys`/`expiresAt` that throws is reported. */
  open(socket: WebSocket, route: Route<unknown>, transport: TransportName, request: UpgradeRequest, context: unknown) {
    const lifetime = route.lifetime;
    let keys: readonly string[] = [];
    let expiresAt: unknown;
    try {
      if (lifetime.keys !== undefined) keys = keysOf(lifetime.keys(context));
      if (lifetime.expiresAt !== undefined) expiresAt = lifetime.expiresAt(context);
    } catch (error) {
      this.#report(error, request);
    }
    const entry: Tracked = {
      socket,
      route,
      transport,
      // Kept for the close event only when closes are observed as it opens: else an open connection would
      // hold its request, and all the framework hung on it, for its whole life.
      request: this.#events.observesClose(request) ? request : undefined,
      context,
      started: performance.now(),
      keys,
      cause: undefined,
      sentCode: undefined,
      awaitingPong: false,
      timer: undefined,
    };
    this.#entries.set(socket, entry);
    this.sockets.add(socket);
    for (const key of keys) {
      let set = this.#byKey.get(key);
      if (set === undefined) {
        set = new Set();
        this.#byKey.set(key, set);
      }
      set.add(entry);
    }
    socket.on('close', this.#onClose);
    // draft-76 has no ping frame: its connections have no heartbeat.
    if (lifetime.heartbeat !== undefined && transport !== 'hixie-76') {
      socket.on('pong', this.#onPong);
      let sweep = this.#sweeps.get(route);
      if (sweep === undefined) {
        sweep = new HeartbeatSweep(lifetime.heartbeat, (dead) => this.terminate(dead, 'heartbeat'));
        this.#sweeps.set(route, sweep);
      }
      sweep.add(entry);
    }
    if (expiresAt !== undefined) scheduleExpiry(this, entry, expiresAt);
    return entry;
  }

  /** The open connections that carry every one of `keys`. */
  matching(keys: readonly string[]): Tracked[] {
    let smallest: Set<Tracked> | undefined;
    for (const key of keys) {
      const set = this.#byKey.get(key);
      if (set === undefined) return [];
      if (smallest === undefined || set.size < smallest.size) smallest = set;
    }
    if (smallest === undefined) return [];
    const found: Tracked[] = [];
    for (const entry of smallest) if (keys.every((key) => entry.keys.includes(key))) found.push(entry);
    return found;
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code`, unless one already began: returns whether
   * this call closed it. The peer has ws's closeTimeout to answer; `terminate` ends it sooner.
   */
  end(entry: Tracked, cause: CloseCause, code: number, reason: string): boolean {
    const { socket } = entry;
    if (entry.cause !== undefined || socket.readyState !== socket.OPEN) return false;
    entry.cause = cause;
    entry.sentCode = code;
    socket.close(code, reason);
    return true;
  }

  /** Destroys the connection without a closing handshake: the peer sees 1006. */
  terminate(entry: Tracked, cause: CloseCause): void {
    if (entry.cause === undefined) entry.cause = cause;
    entry.socket.terminate();
  }

  /** Resolves once no connection is open. */
  whenEmpty(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenEmpty.push(resolve));
  }

  #closed(entry: Tracked, code: number): void {
    const { socket } = entry;
    this.#entries.delete(socket);
    this.sockets.delete(socket);
    for (const key of entry.keys) {
      const set = this.#byKey.get(key);
      set?.delete(entry);
      if (set?.size === 0) this.#byKey.delete(key);
    }
    clearTimeout(entry.timer);
    // A route's sweep stays for its next connection: an empty one holds no timer.
    this.#sweeps.get(entry.route)?.delete(entry);
    if (entry.request !== undefined && this.#events.observesClose(entry.request)) {
      // The code the gate sent, else the peer's; 1006 for a connection terminated without a close frame
      // (RFC 6455 §7.1.5). draft-76 carries no code on the wire: its event reports the code meant.
      const closeCode = entry.sentCode ?? code;
      this.#events.publishClose({
        outcome: 'close',
        cause: entry.cause ?? (ERROR_CODES.has(code) ? 'error' : 'client'),
        closeCode,
        route: entry.route.path,
        transport: entry.transport,
        durationMs: performance.now() - entry.started,
        request: entry.request,
      });
    }
    if (this.#entries.size === 0 && this.#whenEmpty.length > 0) {
      const waiting = this.#whenEmpty;
      this.#whenEmpty = [];
      for (const resolve of waiting) resolve();
    }
  }
}
