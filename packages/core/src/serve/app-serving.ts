/**
 * The wiring every framework adapter shares: a server's 'upgrade' event, and on a node:http2 server the
 * extended CONNECT (RFC 8441) setting and streams, each request run through the app's own request handling
 * (app-upgrade.ts, app-connect.ts) with the core's checks first.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { GateState } from '../lifecycle/gate-state.js';
import { openAppConnect } from './app-connect.js';
import { type AppUpgradeOptions, openAppUpgrade } from './app-upgrade.js';
import { isHttp2Server, serveExtendedConnect } from './http2-server.js';
import type { UpgradeServer } from './node-server.js';

/** The app's request handler, as a node:http or node:http2 server calls it. */
export type AppRequestHandler = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => void;

export interface ServeAppOptions extends AppUpgradeOptions {
  /**
   * Whether the app can serve node:http2's compatibility requests (default true). False for a framework that
   * cannot (Express): `attach` then leaves HTTP/2 alone, and its handler only ever gets node:http's objects.
   */
  http2?: boolean;
}

/** The app, served with its WebSocket routes: what an adapter's `attach`, `handleUpgrade`, `handleConnect` do. */
export interface AppServing {
  /**
   * Serves the app's WebSocket routes on `server`: its 'upgrade' event and, on a node:http2 server (before it
   * listens), extended CONNECT, unless `http2: false`. Attaching a server twice changes nothing. Returns it.
   */
  attach<Server extends UpgradeServer>(server: Server, options?: { http2?: boolean }): Server;
  /** One upgrade request (a server's 'upgrade' event), for servers wired by hand. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * One HTTP/2 extended CONNECT (a node:http2 server's 'connect' event), for servers wired by hand; such a
   * server must advertise it (`settings: { enableConnectProtocol: true }`).
   */
  handleConnect(request: Http2ServerRequest, response: Http2ServerResponse): void;
  /** Whether a server was attached or a request handed over: an adapter's warning names the case. */
  readonly attached: boolean;
}

export class AppServer implements AppServing {
  readonly #state: GateState;
  readonly #run: AppRequestHandler;
  readonly #options: AppUpgradeOptions;
  readonly #http2: boolean;
  readonly #servers = new WeakSet<object>();
  attached = false;

  constructor(state: GateState, run: AppRequestHandler, options: ServeAppOptions = {}) {
    const { http2 = true, ...upgradeOptions } = options;
    this.#state = state;
    this.#run = run;
    this.#options = upgradeOptions;
    this.#http2 = http2;
  }

  attach<Server extends UpgradeServer>(server: Server, options: { http2?: boolean } = {}): Server {
    const { http2 = true } = options;
    if (typeof http2 !== 'boolean') {
      throw new TypeError(`wsgate: attach option "http2" must be a boolean, got ${typeof http2}`);
    }
    this.attached = true;
    if (this.#servers.has(server)) return server;
    this.#servers.add(server);
    server.on('upgrade', (request, socket, head) => this.handleUpgrade(request, socket, head));
    if (http2 && this.#http2 && isHttp2Server(server)) {
      serveExtendedConnect(server, (request, response) => this.handleConnect(request, response));
    }
    return server;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.attached = true;
    openAppUpgrade(this.#state, request, socket, head, this.#run, this.#options);
  }

  handleConnect(request: Http2ServerRequest, response: Http2ServerResponse): void {
    this.attached = true;
    openAppConnect(this.#state, request, response, this.#run);
  }
}
