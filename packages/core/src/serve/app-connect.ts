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
 *     onResponse) the status the client got. Node finishes the compat response when the stream closes.
 */

import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { GateState } from '../lifecycle/gate-state.js';
import type { AppResponse, Handshake } from '../lifecycle/pending-handshake.js';
import { open } from '../lifecycle/pipeline.js';
import { Http2Transport } from '../transport/http2.js';
import { type AppUpgrade, carryUpgrade } from './app-upgrade.js';

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
  // The app's own answer is one this transport did not write: the compat response reads the stream's state.
  const appResponse: AppResponse = {
    get headersSent() {
      return response.headersSent && !transport.wrote;
    },
  };
  const handshake = open(state, transport, appResponse);
  if (handshake === undefined) return;
  carryUpgrade(request, new PendingAppConnect(handshake, transport, response, appResponse));
  Object.defineProperty(request, 'method', { value: 'GET', configurable: true, enumerable: true, writable: true });
  run(request, response);
}

class PendingAppConnect implements AppUpgrade {
  readonly handshake: Handshake;
  readonly response: Http2ServerResponse;
  readonly #appResponse: AppResponse;
  readonly #onFinish: () => void;
  #taken = false;

  constructor(handshake: Handshake, transport: Http2Transport, response: Http2ServerResponse, app: AppResponse) {
    this.handshake = handshake;
    this.response = response;
    this.#appResponse = app;
    const stream = response.stream;
    // The app ended a response of its own: the handshake is over. RFC 9113 §8.1 lets a server that has
    // answered ask the client to stop sending with RST_STREAM(NO_ERROR); Node does so itself only for a
    // stream nobody read, and the app may have read this one. (A stream reset before any answer finishes
    // too, as Node ends its writable side: that is the client going away, which the transport watches.)
    this.#onFinish = () => {
      if (transport.wrote || !handshake.pending || !stream.headersSent) return;
      handshake.answeredByApp(response.statusCode);
      if (!stream.closed) stream.close(NGHTTP2_NO_ERROR);
    };
    stream.once('finish', this.#onFinish);
    handshake.observer = this;
  }

  get appResponded(): boolean {
    return this.#appResponse.headersSent;
  }

  take(): boolean {
    if (this.#taken || !this.handshake.pending || this.#appResponse.headersSent) return false;
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
    response.stream.removeListener('finish', this.#onFinish);
    if (status === undefined || this.#appResponse.headersSent) return;
    try {
      response.statusCode = status;
      if (status !== 200) response.end();
    } catch {
      // a response Node has already closed: nobody observes it any more
    }
  }
}
