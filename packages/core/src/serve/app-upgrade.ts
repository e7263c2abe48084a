/**
 * An upgrade request run through an application's ordinary request handling (a framework's, or a plain
 * server's 'request' listeners), so that the app's own middleware answers before any 101. The app gets a
 * ServerResponse written straight onto the upgrade's socket:
 *
 *   - if the app answers (a 401 from auth, its error handler, its 404), that response goes out and the
 *     connection ends once it is flushed (an upgrade request's connection is never reused);
 *   - if the request reaches a WebSocket route, the route takes the socket back (`take`) and the core
 *     answers on it; the response is then finished for the app's observers (loggers, Fastify's
 *     onResponse) with the status the client got, without touching the socket.
 *
 * An upgrade to another protocol (h2c…) is served as the ordinary request it is (RFC 9110 §7.8 lets a
 * server ignore Upgrade), on a connection that closes after the response; on a WebSocket route it gets 426.
 */

import { EventEmitter } from 'node:events';
import { type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { type Duplex, Writable } from 'node:stream';
import type { GateState } from '../lifecycle/gate-state.js';
import type { AppSide } from '../lifecycle/pending-handshake.js';
import { open } from '../lifecycle/pipeline.js';
import { chooseHttp1Transport } from '../transport/choose.js';
import { closeAfterFlush } from '../transport/http1-head.js';
import { socketIsFree, whenSocketFree } from '../transport/pending-socket.js';
import { AppHandshake, carryUpgrade, offersWebSocket } from './upgrade-of.js';

/** On the response: its upgrade, for the shared 'finish' listener. */
const kUpgrade = Symbol('wsgate.upgrade');

export interface AppUpgradeOptions {
  /**
   * Whether the app watches its responses finish (a request logger, Fastify's onResponse): then, once
   * the core has answered, the response is finished with the client's status into a sink. Default: when
   * it has 'finish' listeners, or a middleware wrapped its `end` (express-session saves the session there).
   */
  observed?: (response: ServerResponse) => boolean;
}

/**
 * Opens the handshake (the core's checks before any of the app's code: a refusal is written here and the
 * app never sees the request), then calls `run(request, response)`: the app's request handler. Responses
 * to requests pipelined before this one on the connection go out first.
 */
export function openAppUpgrade(
  state: GateState,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  run: (request: IncomingMessage, response: ServerResponse) => void,
  options: AppUpgradeOptions = {},
): void {
  if (socketIsFree(socket)) openOverSocket(state, request, socket, head, run, options);
  else whenSocketFree(socket, () => openOverSocket(state, request, socket, head, run, options));
}

function openOverSocket(
  state: GateState,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  run: (request: IncomingMessage, response: ServerResponse) => void,
  options: AppUpgradeOptions,
): void {
  const response = responseOver(request, socket);
  if (response === undefined) return;
  const upgrade = new PendingAppUpgrade(response, socket, options.observed ?? watchesFinish);
  if (offersWebSocket(request)) {
    upgrade.handshake = open(state, chooseHttp1Transport(request, socket, head), upgrade);
    if (upgrade.handshake === undefined) {
      response.detachSocket(socket as Socket);
      return;
    }
  }
  carryUpgrade(request, upgrade);
  run(request, response);
}

function responseOver(request: IncomingMessage, socket: Duplex): ServerResponse | undefined {
  const response = new ServerResponse(request);
  response.shouldKeepAlive = false; // an upgrade request's connection is never reused
  try {
    response.assignSocket(socket as Socket);
  } catch {
    socket.destroy(); // another response still owns this socket: nothing sane to do
    return undefined;
  }
  return response;
}

/**
 * Node's own methods, called on the response rather than looked up on it: a framework may give the response
 * a new prototype (Express does), after which every lookup on it misses V8's inline caches.
 */
const { detachSocket } = ServerResponse.prototype;
const { listenerCount } = EventEmitter.prototype;

/**
 * Someone besides the core (its own `appFinished`) listens for the response to finish (a logger), or wraps
 * its `end` to act there (express-session saves a changed session, compression flushes): without ending
 * the response, a session change made during the handshake would depend on whether a logger is installed.
 */
function watchesFinish(response: ServerResponse): boolean {
  return listenerCount.call(response, 'finish') > 1 || Object.hasOwn(response, 'end');
}

/**
 * The headers the app's response would go out with if its head were written now, for the acceptance to
 * carry: what its middleware set, and what hooks on its `writeHead` add at that moment (`on-headers`:
 * express-session's Set-Cookie for a new or regenerated session, morgan's and compression's bookkeeping).
 * Those hooks exist only where a middleware wrapped `writeHead`; they then run once, here, with the status
 * 101, and the head they build is never written: the response is off the socket by now (`take`), and the
 * transport writes the acceptance. Over HTTP/2 the compat response would send its head: nothing runs.
 */
export function headersAtHead(response: ServerResponse | Http2ServerResponse): OutgoingHttpHeaders {
  if (response instanceof ServerResponse && !response.headersSent && Object.hasOwn(response, 'writeHead')) {
    response.writeHead(101);
  }
  return response.getHeaders();
}

/** The app's response over the upgrade's socket, and the observer of the handshake's outcome. */
class PendingAppUpgrade extends AppHandshake implements AppSide {
  readonly response: ServerResponse;
  readonly socket: Duplex;
  readonly #observed: (response: ServerResponse) => boolean;
  /** Whether the core owns the socket now (the route took it, or the core answered): the app's answers go nowhere. */
  taken = false;
  /** How the handshake ended while the app was still at work, until the app reaches the route. */
  #ended: { readonly status: number | undefined } | undefined;
  /**
   * Whether the response still writes to the socket: kept here rather than read off `response.socket`,
   * because a framework may swap the response's prototype (Express does), which makes every read of it a
   * cache miss in V8.
   */
  #attached = true;

  constructor(response: ServerResponse, socket: Duplex, observed: (response: ServerResponse) => boolean) {
    super();
    this.response = response;
    this.socket = socket;
    this.#observed = observed;
    (response as ServerResponse & { [kUpgrade]?: PendingAppUpgrade })[kUpgrade] = this;
    // One shared listener, left in place: once the response is taken it has nothing to do.
    response.on('finish', appFinished);
  }

  // The app's response, as the handshake reads it (AppSide).

  get headersSent(): boolean {
    return this.response.headersSent;
  }

  get writableEnded(): boolean {
    return this.response.writableEnded;
  }

  get statusCode(): number {
    return this.response.statusCode;
  }

  get appResponded(): boolean {
    return this.response.headersSent; // the core writes on the socket, never through this response
  }

  protected take(): boolean {
    const { handshake, response } = this;
    if (this.#ended !== undefined) {
      // The handshake ended while the app was at work; now that the app is done, its observers see how.
      const { status } = this.#ended;
      this.#ended = undefined;
      this.#finish(status);
      return false;
    }
    if (this.taken || handshake === undefined || !handshake.inFlight || response.headersSent) return false;
    this.taken = true;
    this.#detach();
    return true;
  }

  /**
   * The core answered (or the client left): the app's response must not write to the socket any more.
   * When that happened while the app was still at work (its middleware awaiting something), the app
   * still owns its response and may answer it later: that answer goes nowhere, and the response is left
   * for the app to end. Otherwise it is finished for its observers with the status the client got.
   */
  settled(status: number | undefined, meanwhile: boolean): void {
    const response = this.response;
    const inApp = !this.taken;
    if (inApp) {
      if (response.headersSent) return; // the app's own answer: it ends the connection when it finishes
      this.taken = true;
    }
    this.#detach();
    if (inApp && meanwhile) this.#ended = { status };
    else this.#finish(status);
  }

  #detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    detachSocket.call(this.response, this.socket as Socket);
  }

  #finish(status: number | undefined): void {
    const response = this.response;
    if (!this.#observed(response) || response.writableEnded) return;
    if (status === undefined) {
      response.destroy(); // the client went away: the exchange did not complete
      return;
    }
    // Finished into a sink, so that the app's observers see the status the client got.
    response.assignSocket(new Discard() as unknown as Socket);
    response.statusCode = status;
    response.end();
  }
}

/** The app answered on its own: the handshake is over, and the connection ends once the answer is flushed. */
function appFinished(this: ServerResponse & { [kUpgrade]?: PendingAppUpgrade }): void {
  const upgrade = this[kUpgrade];
  if (upgrade === undefined || upgrade.taken) return;
  upgrade.taken = true;
  upgrade.handshake?.answeredByApp(this.statusCode);
  closeAfterFlush(upgrade.socket);
}

/** A socket-shaped sink for a response whose bytes the client never sees. */
class Discard extends Writable {
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}
