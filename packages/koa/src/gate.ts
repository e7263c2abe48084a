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
import { Gate } from '@wsgate/core';
import { type AppServing, isUnattachedUpgrade, serveApp } from '@wsgate/core/adapter';
import type Koa from 'koa';
import { contextOf, websocketRoute } from './route.js';
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
import { unwound } from './unwound.js';

type Middleware<Ctx extends KoaContext> = Koa.Middleware<Ctx['state'], Ctx>;
/** The route's context comes from its hook (or the app's), never from the handler's annotation. */
type Handler<Context, Ctx extends KoaContext> = KoaConnectionHandler<NoInference<Context>, Ctx>;
/**
 * The hook's ctx has a type parameter of its own (`HookCtx`, Koa's context unless the hook annotates it):
 * were it the handler's `Ctx`, TypeScript would fix `Ctx` while typing the hook's parameters, before it
 * reaches the handler's annotation (`ctx: RouterContext<State>`), and a typed middleware beside them
 * would then fail to match (TS2345).
 */
type RouteOptionsOrMiddleware<Context, Ctx extends KoaContext, HookCtx> =
  | KoaRouteOptions<Context, HookCtx>
  | Middleware<Ctx>;

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
  readonly #serving: AppServing;
  #callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
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
      onError: onError ?? ((error, request) => this.#reportError(error, contextOf(request))),
    });
    this.#serving = serveApp(this.gate, (request, response) => this.#run(request, response), { observed });
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
  route<Context = AppContext, Ctx extends KoaContext = KoaContext, HookCtx = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx, HookCtx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext, HookCtx = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx, HookCtx>,
    m1: Middleware<Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext, HookCtx = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx, HookCtx>,
    m1: Middleware<Ctx>,
    m2: Middleware<Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext, HookCtx = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx, HookCtx>,
    m1: Middleware<Ctx>,
    m2: Middleware<Ctx>,
    m3: Middleware<Ctx>,
    handler: Handler<Context, Ctx>,
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext, HookCtx = KoaContext>(
    optionsOrMiddleware: RouteOptionsOrMiddleware<Context, Ctx, HookCtx>,
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
    const site = {
      gate: this.gate,
      onUpgrade: this.#onUpgrade as KoaUpgradeHook<Context, Ctx> | undefined,
      warnUnattached: (ctx: KoaContext) => this.#warnUnattached(ctx),
    };
    return websocketRoute(site, options, middleware, handler);
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
    return this.#serving.attach(server, options);
  }

  /** One upgrade request, for servers you wire yourself. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#serving.handleUpgrade(request, socket, head);
  }

  /**
   * One HTTP/2 extended CONNECT (a node:http2 server's 'connect' event), for servers you wire yourself; such
   * a server must advertise it (`settings: { enableConnectProtocol: true }`). `attach` does both.
   */
  handleConnect(request: Http2ServerRequest, response: Http2ServerResponse): void {
    this.#serving.handleConnect(request, response);
  }

  /** Koa's handling of one request; once its chain has unwound, the handshake that reached a route is answered. */
  #run(request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse): void {
    // Composed on first use, so that middleware added after `attach` is seen, as it is by `app.listen`.
    this.#callback ??= this.#app.callback();
    const handled = this.#callback(request as IncomingMessage, response as ServerResponse);
    // Koa's callback resolves once the chain and its error handling are done (it never rejects).
    Promise.resolve(handled).then(
      () => unwound(request),
      () => unwound(request),
    );
  }

  /** Graceful shutdown (core `gate.close`): new handshakes get 503, open connections close with 1001. */
  close(options?: { timeout?: number }): Promise<void> {
    return this.gate.close(options);
  }

  /** A WebSocket handshake reached a route without coming through `attach`: the server was never attached. */
  #warnUnattached(ctx: KoaContext): void {
    if (this.#warned || !isUnattachedUpgrade(ctx.req)) return;
    this.#warned = true;
    console.warn(
      `wsgate: a WebSocket upgrade reached ${ctx.path} on a server this KoaGate is not attached to ` +
        `(${this.#serving.attached ? 'another server' : 'none yet'}); call ws.attach(server), e.g. ws.attach(app.listen(3000))`,
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
