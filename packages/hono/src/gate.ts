/**
 * `wsgate(app)`: WebSocket upgrades through a Hono app on @hono/node-server, its middleware before any 101.
 * Translation only:
 *
 *   server 'upgrade'  -> serveApp: the core's checks, then node-server's request listener runs
 *                        app.fetch over a response on the socket: `c.env.incoming` is the upgrade request
 *     - a middleware answers (c.json(..., 401), an HTTPException, the app's 404): that response goes out
 *     - `ws.route(...)`: admit (Origin, subprotocols), the route's middleware, accept (hook, quotas, 101)
 *       -> handler(socket, c, connection)
 *   HTTP/2 'connect'  -> the same for an extended CONNECT (RFC 8441), routed as its GET
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Gate } from '@wsgate/core';
import { type AppServing, isUnattachedUpgrade, serveApp, upgradeOf } from '@wsgate/core/adapter';
import type { Context, Env, Hono } from 'hono';
import { incomingOf, parseRouteArguments, type RouteSite, websocketRoute } from './route.js';
import type {
  HonoConnectionHandler,
  HonoGateOptions,
  HonoRouteOptions,
  HonoUpgradeHook,
  NoInference,
  RouteMiddleware,
  UpgradeServer,
} from './types.js';
import { compileTrust } from './view.js';

type Handler<Ctx, E extends Env, P extends string> = HonoConnectionHandler<NoInference<Ctx>, E, P>;
type OptionsOrMiddleware<Ctx, E extends Env, P extends string> =
  | (HonoRouteOptions<Ctx, E, P> & { call?: never })
  | RouteMiddleware<E, P>;
type Listener = (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => void;

/** What the adapter needs of a Hono app, of any Env and schema. */
export type HonoApp<E extends Env = Env> = Pick<Hono<E>, 'get' | 'fetch'>;

export class HonoGate<E extends Env = Env, AppContext = undefined> {
  /** The core gate: `connections`, `pending`, `close()`. */
  readonly gate: Gate;
  readonly #app: HonoApp<E>;
  readonly #site: RouteSite;
  readonly #serving: AppServing;
  #listener: Listener | undefined;
  #warned = false;

  constructor(app: HonoApp<E>, options: HonoGateOptions<AppContext, E> = {}) {
    if (app === null || typeof app !== 'object' || typeof app.fetch !== 'function' || typeof app.get !== 'function') {
      throw new TypeError('wsgate(app): app must be a Hono application (new Hono())');
    }
    const { onUpgrade, trustProxy, ...rest } = options;
    this.#app = app;
    this.gate = new Gate(rest);
    this.#site = {
      gate: this.gate,
      onUpgrade: onUpgrade as HonoUpgradeHook<unknown> | undefined,
      trust: compileTrust(trustProxy),
      warnUnattached: (c) => this.#warnUnattached(c),
    };
    this.#serving = serveApp(this.gate, (request, response) => this.requestListener(request, response));
  }

  /**
   * A WebSocket route, as `app.get` declares one: `ws.route('/chat', { subprotocols }, requireUser, handler)`.
   * A plain request gets 426. Then, in order: the core's checks that depend on the route (Origin, fetch
   * metadata, subprotocols); the middleware given here, which may answer instead (`c.json({...}, 401)`,
   * `throw new HTTPException(403)`); `onUpgrade`, quotas, the 101 and `handler(socket, c, connection)`.
   * The app's own `app.use` middleware runs before all of it, as for any route.
   *
   * One signature per number of arguments (the last one for long chains), so that TypeScript checks a call
   * against one: a misspelled option is reported on the option itself.
   */
  route<P extends string, Ctx = AppContext>(path: P, handler: Handler<Ctx, E, P>): this;
  route<P extends string, Ctx = AppContext>(
    path: P,
    optionsOrMiddleware: OptionsOrMiddleware<Ctx, E, P>,
    handler: Handler<Ctx, E, P>,
  ): this;
  route<P extends string, Ctx = AppContext>(
    path: P,
    optionsOrMiddleware: OptionsOrMiddleware<Ctx, E, P>,
    m1: RouteMiddleware<E, P>,
    handler: Handler<Ctx, E, P>,
  ): this;
  route<P extends string, Ctx = AppContext>(
    path: P,
    optionsOrMiddleware: OptionsOrMiddleware<Ctx, E, P>,
    m1: RouteMiddleware<E, P>,
    m2: RouteMiddleware<E, P>,
    handler: Handler<Ctx, E, P>,
  ): this;
  route<P extends string, Ctx = AppContext>(
    path: P,
    optionsOrMiddleware: OptionsOrMiddleware<Ctx, E, P>,
    m1: RouteMiddleware<E, P>,
    m2: RouteMiddleware<E, P>,
    m3: RouteMiddleware<E, P>,
    ...rest: [...RouteMiddleware<E, P>[], Handler<Ctx, E, P>]
  ): this;
  route(path: string, ...args: unknown[]): this {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError(`wsgate: ws.route(path, ...): a path starts with "/", got ${JSON.stringify(path)}`);
    }
    const { options, middleware, handler } = parseRouteArguments(args);
    const handlers = websocketRoute(this.#site, path, options, middleware, handler);
    (this.#app.get as (path: string, ...handlers: unknown[]) => unknown)(path, ...handlers);
    return this;
  }

  /**
   * Routes the WebSocket handshakes of a server through the app: `ws.attach(serve({ fetch: app.fetch }))`.
   * On node-server's HTTP/2 (`createServer: http2.createSecureServer`, `allowHTTP1: true`), HTTP/1.1
   * upgrades and extended CONNECT (RFC 8441) reach the same routes; the app sees the CONNECT as a GET.
   * Attach before the first client connects; `http2: false` leaves HTTP/2 alone.
   */
  attach<Server extends UpgradeServer>(server: Server, options: { http2?: boolean } = {}): Server {
    return this.#serving.attach(server, options);
  }

  /** One upgrade request (a server's 'upgrade' event), for servers you wire yourself. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#serving.handleUpgrade(request, socket, head);
  }

  /** One HTTP/2 extended CONNECT (a node:http2 server's 'connect' event); `attach` advertises and wires it. */
  handleConnect(request: Http2ServerRequest, response: Http2ServerResponse): void {
    this.#serving.handleConnect(request, response);
  }

  /** Graceful shutdown (core `gate.close`): new handshakes get 503, open connections close with 1001. */
  close(options?: { timeout?: number }): Promise<void> {
    return this.gate.close(options);
  }

  /**
   * node-server's request listener over the app (what `serve()` runs for every request), for a server you
   * create yourself: `ws.attach(http.createServer(ws.requestListener))`. Once the core has answered a
   * handshake (the 101, or its refusal), whatever the app's chain returns is replaced by
   * RESPONSE_ALREADY_SENT: Hono rebuilds the route's own into a response node-server would write (when a
   * middleware read `c.res`), a second head on the WebSocket's socket or stream.
   */
  get requestListener(): Listener {
    this.#listener ??= getRequestListener(async (request: Request, env: HttpBindings | object) => {
      const response = await this.#app.fetch(request, env);
      const upgrade = upgradeOf((env as HttpBindings).incoming);
      const answered = upgrade !== undefined && !upgrade.inFlight && !upgrade.appResponded;
      return answered ? RESPONSE_ALREADY_SENT : response;
    }) as Listener;
    return this.#listener;
  }

  #warnUnattached(c: Context): void {
    const incoming = incomingOf(c);
    if (this.#warned || incoming === undefined || !isUnattachedUpgrade(incoming)) return;
    this.#warned = true;
    console.warn(
      `wsgate: a WebSocket upgrade reached ${c.req.path} on a server this gate is not attached to ` +
        `(${this.#serving.attached ? 'another server' : 'none yet'}); call ws.attach(serve({ fetch: app.fetch }))`,
    );
  }
}
