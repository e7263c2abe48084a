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
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { type Duplex, Writable } from 'node:stream';
import { headerLines } from '../http/raw-headers.js';
import { listHasToken } from '../http/token-list.js';
import type { GateState } from '../lifecycle/gate-state.js';
import type { Handshake } from '../lifecycle/pending-handshake.js';
import { open } from '../lifecycle/pipeline.js';
import { notAnUpgrade } from '../protocol/not-an-upgrade.js';
import type { UpgradeRequest } from '../protocol/request.js';
import { chooseHttp1Transport } from '../transport/choose.js';
import { closeAfterFlush } from '../transport/http1-head.js';
import { socketIsFree, whenSocketFree } from '../transport/pending-socket.js';

export interface AppUpgrade {
  /** The pending handshake; undefined for an upgrade to another protocol, served as an ordinary request. */
  readonly handshake: Handshake | undefined;
  /**
   * The app's response: over the upgrade's socket until a route takes it, or node:http2's compat response
   * on the stream of an extended CONNECT (app-connect.ts).
   */
  readonly response: ServerResponse | Http2ServerResponse;
  /**
   * For the WebSocket route: detaches the socket from the app's response, so that nothing the app writes
   * afterwards reaches it. False when there is nothing left to take: the client went away, the deadline
   * passed (the response is then finished for the app's observers with the status the client got), or
   * the app has already started its own response.
   */
  take(): boolean;
  /** Whether the app has started a response of its own (what the core wrote is not the app's). */
  readonly appResponded: boolean;
}

export interface AppUpgradeOptions {
  /**
   * Whether the app watches its responses finish (a request logger, Fastify's onResponse): then, once
   * the core has answered, the response is finished with the client's status into a sink. Default: when
   * it has 'finish' listeners.
   */
  observed?: (response: ServerResponse) => boolean;
}

const kUpgrade = Symbol('wsgate.upgrade');
type UpgradeCarrier = UpgradeRequest & { [kUpgrade]?: AppUpgrade };

/**
 * The upgrade in flight for a request that came through `openAppUpgrade` or `openAppConnect`; undefined for
 * a plain request.
 */
export function upgradeOf(request: UpgradeRequest): AppUpgrade | undefined {
  return (request as UpgradeCarrier)[kUpgrade];
}

/**
 * The answer to what reaches a WebSocket route without being a WebSocket handshake (`notAnUpgrade`): an upgrade
 * request that came through the server's 'upgrade' event carries its handshake, and its connection is never reused.
 */
export function upgradeRequired(request?: UpgradeRequest): ReturnType<typeof notAnUpgrade> {
  return notAnUpgrade(request, request !== undefined && upgradeOf(request) !== undefined);
}

/** Marks `request` as carrying `upgrade`, for the route to find with `upgradeOf`. */
export function carryUpgrade(request: UpgradeRequest, upgrade: AppUpgrade): void {
  (request as UpgradeCarrier)[kUpgrade] = upgrade;
}

/** Whether the request offers to switch to WebSocket (RFC 9110 §7.8: Upgrade is a list of protocols). */
export function asksForWebSocket(request: Pick<IncomingMessage, 'rawHeaders'>): boolean {
  return listHasToken(headerLines(request.rawHeaders, 'upgrade'), 'websocket');
}

/**
 * Whether node:http would have given the request to 'upgrade' listeners, had the server any: Upgrade
 * names websocket and Connection carries the upgrade option (RFC 9110 §7.8). Such a request reaching a
 * route as a plain one came to a server the gate is not attached to; without the option it is an ordinary
 * request, which Node never treats as an upgrade.
 */
export function isUpgradeToWebSocket(request: Pick<IncomingMessage, 'rawHeaders'>): boolean {
  return asksForWebSocket(request) && listHasToken(headerLines(request.rawHeaders, 'connection'), 'upgrade');
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
  let handshake: Handshake | undefined;
  if (asksForWebSocket(request)) {
    handshake = open(state, chooseHttp1Transport(request, socket, head), response);
    if (handshake === undefined) {
      response.detachSocket(socket as Socket);
      return;
    }
  }
  const upgrade = new PendingAppUpgrade(handshake, response, socket, options.observed ?? hasFinishListeners);
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

/** Someone besides the core (its own `appFinished`) listens for the response to finish: a logger, say. */
function hasFinishListeners(response: ServerResponse): boolean {
  return listenerCount.call(response, 'finish') > 1;
}

class PendingAppUpgrade implements AppUpgrade {
  readonly handshake: Handshake | undefined;
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

  constructor(
    handshake: Handshake | undefined,
    response: ServerResponse,
    socket: Duplex,
    observed: (response: ServerResponse) => boolean,
  ) {
    this.handshake = handshake;
    this.response = response;
    this.socket = socket;
    this.#observed = observed;
    (response as ServerResponse & { [kUpgrade]?: PendingAppUpgrade })[kUpgrade] = this;
    // One shared listener, left in place: once the response is taken it has nothing to do.
    response.on('finish', appFinished);
    if (handshake !== undefined) handshake.observer = this;
  }

  get appResponded(): boolean {
    return this.response.headersSent; // the core writes on the socket, never through this response
  }

  take(): boolean {
    const { handshake, response } = this;
    if (this.#ended !== undefined) {
      // The handshake ended while the app was at work; now that the app is done, its observers see how.
      const { status } = this.#ended;
      this.#ended = undefined;
      this.#finish(status);
      return false;
    }
    if (this.taken || handshake === undefined || !handshake.pending || response.headersSent) return false;
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
