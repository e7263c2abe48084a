/**
 * An extended CONNECT (RFC 8441) run through an application's request handling: the HTTP/2 twin of
 * app-upgrade.ts, for a framework on node:http2's compatibility API (Koa, Fastify).
 *
 *   - the core's checks come first: a refusal is written on the stream, and the app never sees the request;
 *   - the app then gets Node's compat request and response, the request's `method` reading GET: RFC 8441
 *     carries over HTTP/2 what RFC 6455 §4.1 asks with a GET and Upgrade, so the app's GET route for the
 *     WebSocket, with its middleware and hooks, serves both transports (`:method` in its headers still
 *     says CONNECT);
 *   - if the app answers (its auth's 401), that response goes out on the stream, and the handshake ends;
 *   - if the request reaches a WebSocket route, the route takes the stream (`take`) and the core answers on
 *     it, 200 or a refusal; the response's `statusCode` then tells the app's observers (Fastify's
 *     onResponse) the status the client got. Node finishes the compat response when the stream closes;
 *   - if the app answers with a 2xx of its own (the request reached an ordinary route: a page, /health),
 *     the core refuses instead, 404 as `attach` answers a path without a route: RFC 8441 §5 and RFC 9113
 *     §8.5 make any 2xx to a CONNECT mean that the WebSocket was agreed, which a cross-origin page could
 *     read as an oracle of the app's routes. The app's body goes nowhere.
 */

import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { GateState } from '../lifecycle/gate-state.js';
import type { AppSide, Handshake } from '../lifecycle/pending-handshake.js';
import { open } from '../lifecycle/pipeline.js';
import { reject } from '../protocol/rejection.js';
import { Http2Transport } from '../transport/http2.js';
import { AppHandshake, carryUpgrade } from './upgrade-of.js';

const { NGHTTP2_NO_ERROR } = constants;

/**
 * Opens the handshake for an extended CONNECT that `serveExtendedConnect` handed over (the core's checks
 * first), then calls `run(request, response)`: the app's request handler.
 */
export function openAppConnect(
  state: GateState,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  run: (request: Http2ServerRequest, response: Http2ServerResponse) => void,
): void {
  state.trackSession(request.stream.session);
  const transport = new Http2Transport(request);
  const upgrade = new PendingAppConnect(transport, response);
  const handshake = open(state, transport, upgrade);
  if (handshake === undefined) return;
  upgrade.opened(handshake);
  carryUpgrade(request, upgrade);
  Object.defineProperty(request, 'method', { value: 'GET', configurable: true, enumerable: true, writable: true });
  run(request, response);
}

/** node:http2's compat response on the stream, and the observer of the handshake's outcome. */
class PendingAppConnect extends AppHandshake implements AppSide {
  readonly response: Http2ServerResponse;
  readonly #transport: Http2Transport;
  #onFinish: (() => void) | undefined;
  #taken = false;

  constructor(transport: Http2Transport, response: Http2ServerResponse) {
    super();
    this.#transport = transport;
    this.response = response;
  }

  /** The handshake opened: the app's own answers are watched from now on. */
  opened(handshake: Handshake): void {
    this.handshake = handshake;
    const { response } = this;
    const transport = this.#transport;
    const stream = response.stream;
    // The app ended a response of its own: the handshake is over. RFC 9113 §8.1 lets a server that has
    // answered ask the client to stop sending with RST_STREAM(NO_ERROR); Node does so itself only for a
    // stream nobody read, and the app may have read this one. (A stream reset before any answer finishes
    // too, as Node ends its writable side: that is the client going away, which the transport watches.)
    this.#onFinish = () => {
      if (transport.wrote || !handshake.inFlight || !stream.headersSent) return;
      handshake.answeredByApp(response.statusCode);
      if (!stream.closed) stream.close(NGHTTP2_NO_ERROR);
    };
    stream.once('finish', this.#onFinish);
    refuseAppSuccess(handshake, transport, response);
  }

  // The app's response, as the handshake reads it (AppSide): its own answer is one this transport did not
  // write, as the compat response reads the stream's state.

  get headersSent(): boolean {
    return this.response.headersSent && !this.#transport.wrote;
  }

  get writableEnded(): boolean {
    return this.response.writableEnded;
  }

  get statusCode(): number {
    return this.response.statusCode;
  }

  get appResponded(): boolean {
    return this.headersSent;
  }

  protected take(): boolean {
    if (this.#taken || !this.inFlight || this.headersSent) return false;
    this.#taken = true;
    return true;
  }

  /**
   * The core answered (or the client left): what the client got, for the app's observers. A refusal is a
   * complete response on the stream: the app's response is ended too (its `writableEnded` then tells Koa
   * and others there is nothing left to write, where a late write would throw ERR_HTTP2_HEADERS_SENT).
   * Never after an acceptance: ending the compat response would end the WebSocket's stream.
   */
  settled(status: number | undefined): void {
    const response = this.response;
    if (this.#onFinish !== undefined) response.stream.removeListener('finish', this.#onFinish);
    if (status === undefined || this.headersSent) return;
    try {
      response.statusCode = status;
      if (status !== 200) response.end();
    } catch {
      // a response Node has already closed: nobody observes it any more
    }
  }
}

/**
 * Only the core's acceptance may be a 2xx on an extended CONNECT. Every answer of node:http2's compat
 * response goes through its `writeHead` (`end`, `write` and `flushHeaders` call it), so it is watched there,
 * on this response alone.
 */
function refuseAppSuccess(handshake: Handshake, transport: Http2Transport, response: Http2ServerResponse): void {
  const writeHead = response.writeHead as (this: Http2ServerResponse, ...args: unknown[]) => Http2ServerResponse;
  response.writeHead = function writeHeadUnlessSuccess(this: Http2ServerResponse, status: number, ...rest: unknown[]) {
    if (status < 200 || status > 299 || transport.wrote) return writeHead.call(this, status, ...rest);
    const stream = this.stream;
    // Whatever the app writes next (the body that follows its head) goes nowhere: the stream has the
    // core's complete answer, and a write after its end would reset it before that answer is delivered.
    stream.write = discardWrite;
    handshake.reject(reject.notFound);
    return this;
  } as Http2ServerResponse['writeHead'];
}

function discardWrite(_chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') process.nextTick(done as () => void);
  return true;
}
