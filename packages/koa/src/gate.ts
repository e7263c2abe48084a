/**
 * @wsgate/koa — WebSocket upgrades through a Koa app's own middleware. Translation only:
 *
 *   server 'upgrade' -> openAppUpgrade: the core's checks, then the app's middleware over a response on the socket
 *     - a middleware answers (ctx.throw, ctx.status/body, an error): that response goes out
 *     - `ws.route(...)`: admit (Origin, subprotocols), the route's middleware, accept (hook, quotas, 101)
 *       -> handler(socket, ctx, connection)
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { format } from 'node:util';
import { type Connection, Gate, type Upgrade } from '@wsgate/core';
import {
  accept,
  admit,
  defineRoute,
  isHttp2Server,
  isUpgradeToWebSocket,
  openAppConnect,
  openAppUpgrade,
  type Route,
  serveExtendedConnect,
  upgradeOf,
  upgradeRequired,
} from '@wsgate/core/adapter';
import type Koa from 'koa';
import type {
  KoaApp,
  KoaConnectionHandler,
  KoaContext,
  KoaGateOptions,
  KoaRouteOptions,
  KoaUpgradeHook,
  NoInference,
  WebSocketMiddleware,
} from './types.js';

type Middleware<Ctx extends KoaContext> = Koa.Middleware<Ctx['state'], Ctx>;
/** The route's context comes from its hook (or the app's), never from the handler's annotation. */
type Handler<Context, Ctx extends KoaContext> = KoaConnectionHandler<NoInference<Context>, Ctx>;
type RouteOptionsOrMiddleware<Context, Ctx extends KoaContext> = KoaRouteOptions<Context, Ctx> | Middleware<Ctx>;

import { KoaView } from './view.js';

/** The Koa context of a request on its way through a WebSocket route, for the hook and the handler. */
const kContext = Symbol('wsgate.koa.context');
type WithContext = IncomingMessage & { [kContext]?: KoaContext };

/**
 * Koa watches every response with on-finished, on the response and on its socket: it must see the
 * response finish (with the status the client got, for upstream middleware and loggers), or a reset of
 * the socket that is now a WebSocket's would reach `app.on('error')`.
 */
const observed = () => true;

export class KoaGate<AppContext = undefined> {
  /** The core gate: `connections`, `pending`, `close()`. */
  readonly gate: Gate;
  readonly #app: KoaApp;
  readonly #onUpgrade: KoaUpgradeHook<AppContext, KoaContext> | undefined;
  #callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  #attached = false;
  #warned = false;

  constructor(app: KoaApp, options: KoaGateOptions<AppContext> = {}) {
    if (app === null || typeof app !== 'object' || typeof app.callback !== 'function') {
      throw new TypeError('koaGate(app): app must be a Koa application (new Koa())');
    }
    const { onUpgrade, onError, ...rest } = options;
    this.#app = app;
    this.#onUpgrade = onUpgrade;
    this.gate = new Gate({
      ...rest,
      // Hooks and handlers that throw are reported like any Koa error, with the request's ctx.
      onError: onError ?? ((error, request) => this.#reportError(error, (request as WithContext)[kContext])),
    });
  }

  /**
   * A Koa middleware that takes the WebSocket upgrade, for `@koa/router` or your own path check:
   *
   *   router.get('/chat', ws.route({ subprotocols: ['chat.v2'] }, requireUser, (socket, ctx) => { ... }))
   *
   * A plain request gets 426. Then, in order: the core's checks that depend on the route (Origin, fetch
   * metadata, subprotocols); the route's own middleware given here, which may answer instead
   * (`ctx.throw(401)`); `onUpgrade`, quotas, the 101 and `handler(socket, ctx, connection)`.
   *
   * One signature per number of arguments (the last one for long chains), so that TypeScript checks a call
   * against one: a misspelled or mistyped option is reported on the option itself, not as "No overload
   * matches this call", and the functions after it keep their parameter types.
   */
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx>,
    m1: Middleware<Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx>,
    m1: Middleware<Ctx>,
    m2: Middleware<Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx>,
    m1: Middleware<Ctx>,
    m2: Middleware<Ctx>,
    m3: Middleware<Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx>,
    m1: Middleware<Ctx>,
    m2: Middleware<Ctx>,
    m3: Middleware<Ctx>,
    m4: Middleware<Ctx>,
    ...rest: [...Middleware<Ctx>[], Handler<Context, Ctx>]
  ): WebSocketMiddleware<Ctx>;
  route<Context, Ctx extends KoaContext>(...args: unknown[]): WebSocketMiddleware<Ctx> {
    const first = args[0];
    const options = (typeof first === 'object' && first !== null ? args.shift() : {}) as KoaRouteOptions<Context, Ctx>;
    const handler = args.pop() as KoaConnectionHandler<Context, Ctx> | undefined;
    const middleware = args as Array<(ctx: Ctx, next: Koa.Next) => unknown>;
    if (typeof handler !== 'function' || middleware.some((m) => typeof m !== 'function')) {
      throw new TypeError('wsgate: ws.route([options], ...middleware, handler) takes functions after the options');
    }
    const { path, onUpgrade, ...routeOptions } = options;
    const hook = (onUpgrade ?? this.#onUpgrade) as KoaUpgradeHook<Context, Ctx> | undefined;
    const coreOptions = {
      ...routeOptions,
      // Only a route with a hook pays for the hook's view.
      onUpgrade: hook && ((upgrade: Upgrade) => hook(upgrade, (upgrade.request as WithContext)[kContext] as Ctx)),
    };
    const coreHandler = (socket: Parameters<KoaConnectionHandler<Context, Ctx>>[0], connection: Connection<Context>) =>
      handler(socket, (connection.request as WithContext)[kContext] as Ctx, connection);
    // Checked now (a bad option is a TypeError here); compiled once per route pattern.
    const compiled = new Map<string, Route<Context>>();
    const routeFor = (label: string) => {
      let route = compiled.get(label);
      if (route === undefined) {
        route = defineRoute(this.gate, label, coreOptions, coreHandler);
        compiled.set(label, route);
      }
      return route;
    };
    routeFor(path ?? '*');

    const warnUnattached = (ctx: Ctx) => this.#warnUnattached(ctx);
    return async function websocketRoute(ctx: Ctx) {
      const upgrade = upgradeOf(ctx.req);
      const handshake = upgrade?.handshake;
      if (upgrade === undefined || handshake === undefined) {
        if (upgrade === undefined) warnUnattached(ctx);
        return upgradeRequiredThroughKoa(ctx);
      }
      (ctx.req as WithContext)[kContext] = ctx;
      const route = routeFor(labelOf(ctx, path)) as Route<unknown>;
      const view = new KoaView(ctx);
      // From a refusal on, the core has answered on the socket: Koa must write nothing. Awaited only when
      // a policy is async, so that a synchronous admission costs no turn of the microtask queue.
      const admitted = admit(handshake, route, view);
      if (admitted === false || (admitted !== true && !(await admitted))) {
        ctx.respond = false;
        return;
      }
      const run = async (i: number): Promise<unknown> => {
        if (i < middleware.length) return middleware[i]?.(ctx, () => run(i + 1) as Promise<void>);
        if (!upgrade.take()) {
          if (upgrade.appResponded) {
            throw new Error('wsgate: the response had already started when the WebSocket route ran');
          }
        } else {
          const accepted = accept(handshake, route, view);
          if (accepted !== undefined) await accepted;
        }
        ctx.respond = false;
      };
      await run(0);
    };
  }

  /**
   * Routes the WebSocket handshakes of a server through the app: `ws.attach(app.listen(3000))`. On a
   * node:http2 server (`http2.createSecureServer({ allowHTTP1: true, ... }, app.callback())`, attached
   * before it listens), HTTP/1.1 upgrades and HTTP/2 extended CONNECT (RFC 8441) both reach the same
   * routes and middleware; the app sees the CONNECT as a GET. `http2: false` leaves HTTP/2 alone: nothing
   * is advertised, and browsers open an HTTP/1.1 connection for their WebSockets.
   */
  attach<
    Server extends {
      on(event: 'upgrade', listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
    },
  >(server: Server, options: { http2?: boolean } = {}): Server {
    const { http2 = true } = options;
    if (typeof http2 !== 'boolean') {
      throw new TypeError(`wsgate: attach option "http2" must be a boolean, got ${typeof http2}`);
    }
    this.#attached = true;
    server.on('upgrade', (request, socket, head) => this.handleUpgrade(request, socket, head));
    if (http2 && isHttp2Server(server)) {
      serveExtendedConnect(server, (request, response) => this.handleConnect(request, response));
    }
    return server;
  }

  /** One upgrade request, for servers you wire yourself. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#attached = true;
    // Composed on first use, so that middleware added after `attach` is seen, as it is by `app.listen`.
    this.#callback ??= this.#app.callback();
    openAppUpgrade(this.gate, request, socket, head, this.#callback, { observed });
  }

  /**
   * One HTTP/2 extended CONNECT (a node:http2 server's 'connect' event), for servers you wire yourself; such
   * a server must advertise it (`settings: { enableConnectProtocol: true }`). `attach` does both.
   */
  handleConnect(request: Http2ServerRequest, response: Http2ServerResponse): void {
    this.#attached = true;
    this.#callback ??= this.#app.callback();
    openAppConnect(this.gate, request, response, this.#callback as never);
  }

  /** Graceful shutdown (core `gate.close`): new handshakes get 503, open connections close with 1001. */
  close(options?: { timeout?: number }): Promise<void> {
    return this.gate.close(options);
  }

  /** A WebSocket handshake reached a route without coming through `attach`: the server was never attached. */
  #warnUnattached(ctx: KoaContext): void {
    if (this.#warned || !isUpgradeToWebSocket(ctx.req)) return;
    this.#warned = true;
    console.warn(
      `wsgate: a WebSocket upgrade reached ${ctx.path} on a server this KoaGate is not attached to ` +
        `(${this.#attached ? 'another server' : 'none yet'}); call ws.attach(server), e.g. ws.attach(app.listen(3000))`,
    );
  }

  #reportError(error: unknown, ctx: KoaContext | undefined): void {
    // As Koa's ctx.onerror does: non-errors become errors, and the app's 'error' listeners see them.
    const err = error instanceof Error ? error : new Error(format('non-error thrown: %j', error));
    const app = this.#app;
    if (app.listenerCount('error') > 0) app.emit('error', err, ctx);
    else app.onerror(err);
  }
}

/** Answers 426 to a plain request through Koa (the core's answer: RFC 9110 §15.5.22, §7.8; 400 over HTTP/2). */
export function upgradeRequiredThroughKoa(ctx: KoaContext): void {
  const { status, headers, body } = upgradeRequired(ctx.req);
  ctx.status = status;
  ctx.set(headers);
  ctx.body = body;
}

function labelOf(ctx: KoaContext, path: string | undefined): string {
  if (path !== undefined) return path;
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  return matched === undefined ? '*' : String(matched);
}
