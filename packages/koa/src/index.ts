/**
 * @wsgate/koa — WebSocket upgrades through a Koa app's own middleware.
 *
 *   server 'upgrade'  -> gate.open (protocol checks, Host, capacity; before any middleware)
 *                     -> the app's middleware, over a ServerResponse on the socket
 *                          - a middleware answers (ctx.throw, ctx.status/body, an error): that HTTP
 *                            response goes out, then the socket is closed
 *                          - nobody takes the upgrade: Koa's own answer (404)
 *                          - the request reaches `ws.route(...)`: handshake.accept (Origin, subprotocols,
 *                            onUpgrade, quotas) -> 101 -> handler(socket, ctx, connection)
 *
 * Translation only: every policy lives in @wsgate/core.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { format } from 'node:util';
import {
  type AppUpgrade,
  appUpgradeOf,
  type Connection,
  type ConnectionHandler,
  Gate,
  type GateOptions,
  type HandshakeEvent,
  openAppUpgrade,
  parseCookieHeader,
  type Rejection,
  type RequestFacts,
  type Route,
  type RouteOptions,
  reject,
  type Upgrade,
} from '@wsgate/core';
import type Koa from 'koa';
import type { WebSocket } from 'ws';

// ---------------------------------------------------------------------------------------------------
// Public types

/** The Koa context a route sees unless its handler says otherwise (e.g. `ctx: RouterContext`). */
export type KoaContext = Koa.ParameterizedContext;

/**
 * The `onUpgrade` hook, with the Koa context of the request (after your middleware ran: `ctx.state`,
 * `ctx.cookies`, `ctx.params`). Returns the connection's context, or a Rejection (`upgrade.reject(...)`).
 */
export type KoaUpgradeHook<Context, Ctx = KoaContext> = (
  upgrade: Upgrade,
  ctx: Ctx,
) => Context | Rejection | Promise<Context | Rejection>;

/** Called once the 101 is written. Errors it throws (or rejects with) go to `app.on('error')`. */
export type KoaConnectionHandler<Context, Ctx = KoaContext> = (
  socket: WebSocket,
  ctx: Ctx,
  connection: Connection<Context>,
) => unknown;

/** Per-route options: core's RouteOptions, with an `onUpgrade` that also gets the Koa context. */
export interface KoaRouteOptions<Context = unknown, Ctx = KoaContext> extends Omit<RouteOptions<Context>, 'onUpgrade'> {
  onUpgrade?: KoaUpgradeHook<Context, Ctx>;
  /** The route's name in handshake events and per-route quotas. Default: the @koa/router pattern, else '*'. */
  path?: string;
}

/** Per-app options: core's GateOptions (the defaults of every route), with a Koa `onUpgrade`. */
export interface KoaGateOptions<AppContext = undefined> extends Omit<GateOptions, 'onUpgrade'> {
  onUpgrade?: KoaUpgradeHook<AppContext, KoaContext>;
}

/** A Koa middleware taking the WebSocket upgrade. Plain (non-upgrade) requests get 426. */
export type WebSocketMiddleware<Ctx = KoaContext> = (ctx: Ctx, next: Koa.Next) => Promise<void>;

/** What the adapter needs of a Koa app, of any State and Context. */
export interface KoaApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
  emit(event: 'error', error: Error, ctx?: unknown): boolean;
  listenerCount(event: 'error'): number;
  onerror(error: Error): void;
}

/** True while `ctx` is a WebSocket upgrade request that no one has answered yet. */
export function isWebSocketUpgrade(ctx: { req: IncomingMessage }): boolean {
  return appUpgradeOf(ctx.req)?.handshake.pending === true;
}

/**
 * Answers 426 Upgrade Required to anything but a WebSocket upgrade, and passes upgrades on. `ws.route`
 * does the same at the end of the chain; put this first when plain requests should get 426 before
 * your auth middleware answers them: `router.get('/chat', requireUpgrade, requireUser, ws.route(...))`.
 */
export async function requireUpgrade<Ctx extends KoaContext>(ctx: Ctx, next: Koa.Next): Promise<void> {
  if (appUpgradeOf(ctx.req) !== undefined) return next();
  notAnUpgrade(ctx);
}

function notAnUpgrade(ctx: KoaContext): void {
  // RFC 9110 §15.5.22: a plain request on a WebSocket-only resource.
  const { status, headers, body } = reject.notAnUpgrade;
  ctx.status = status;
  ctx.set(headers as Record<string, string>);
  ctx.body = body;
}

/** Headers a middleware set that must not ride on a 101 (framing, hop-by-hop, and the handshake's own). */
const NOT_CARRIED =
  /^(content-length|content-type|content-encoding|transfer-encoding|connection|keep-alive|upgrade|sec-websocket-.*)$/i;

// ---------------------------------------------------------------------------------------------------

export class KoaGate<AppContext = undefined> {
  /** The core gate: `connections`, `pending`, `close()`. */
  readonly gate: Gate;
  readonly #app: KoaApp;
  readonly #onUpgrade: KoaUpgradeHook<AppContext, KoaContext> | undefined;
  readonly #contexts = new WeakMap<IncomingMessage, KoaContext>();
  readonly #outcomes = new WeakMap<IncomingMessage, number>();
  #callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;

  constructor(app: KoaApp, options: KoaGateOptions<AppContext> = {}) {
    const { onUpgrade, onError, onEvent, ...rest } = options;
    this.#app = app;
    this.#onUpgrade = onUpgrade;
    this.gate = new Gate({
      ...rest,
      // Hooks and handlers that throw are reported like any Koa error, with the request's ctx.
      onError: onError ?? ((error, request) => this.#reportError(error, this.#contexts.get(request))),
      onEvent: (event: HandshakeEvent) => {
        if (event.status !== undefined) this.#outcomes.set(event.request, event.status);
        onEvent?.(event);
      },
    });
  }

  /**
   * A Koa middleware that takes the WebSocket upgrade, for `@koa/router` or your own path check:
   *
   *   router.get('/chat', ws.route({ subprotocols: ['chat.v2'] }, requireUser, (socket, ctx) => { ... }))
   *
   * App-wide middleware has run when the request reaches it. Then, in this order: a plain request gets 426;
   * the core checks what depends on the route (Origin, fetch metadata, subprotocols); the route's own
   * middleware given here runs and may answer instead (`ctx.throw(401)`); then `onUpgrade`, quotas, the 101
   * and `handler(socket, ctx, connection)`.
   */
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    options: KoaRouteOptions<Context, Ctx>,
    ...rest: [...Koa.Middleware<Ctx['state'], Ctx>[], KoaConnectionHandler<Context, Ctx>]
  ): WebSocketMiddleware<Ctx>;
  route<Context = AppContext, Ctx extends KoaContext = KoaContext>(
    ...rest: [...Koa.Middleware<Ctx['state'], Ctx>[], KoaConnectionHandler<Context, Ctx>]
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
    const contexts = this.#contexts;

    // The hook and handler the core calls, finding the Koa ctx by request.
    const coreHook = (upgrade: Upgrade) => {
      const ctx = contexts.get(upgrade.request) as Ctx;
      carryHeaders(ctx.res, upgrade);
      return hook === undefined ? (undefined as Context) : hook(upgrade, ctx);
    };
    // The core reports what the handler throws or rejects with (to app.on('error')) and closes with 1011.
    const coreHandler: ConnectionHandler<Context> = (socket, connection) =>
      handler(socket, contexts.get(connection.request) as Ctx, connection);

    // Compiled once per route pattern (one, unless the middleware is mounted on several paths).
    const compiled = new Map<string, Route<Context>>();
    const routeFor = (label: string) => {
      let route = compiled.get(label);
      if (route === undefined) {
        route = this.gate.defineRoute(label, { ...routeOptions, onUpgrade: coreHook }, coreHandler);
        compiled.set(label, route);
      }
      return route;
    };

    const outcomes = this.#outcomes;
    // The answer was given on the socket (a rejection, or the 101): Koa must write nothing more. For
    // middleware upstream (loggers run after `await next()`) and on-finished observers (Koa's own among
    // them), this request's HTTP exchange is over, whatever the socket does next.
    const answered = (ctx: Ctx, upgrade: AppUpgrade) => {
      ctx.respond = false;
      const status = outcomes.get(ctx.req);
      if (status !== undefined) ctx.status = status;
      if (!upgrade.response.writableEnded) upgrade.response.emit('finish');
    };
    const takeUpgrade = async (ctx: Ctx, upgrade: AppUpgrade, route: Route<Context>) => {
      // Nothing to take when the client went away or the deadline passed: already answered.
      if (!upgrade.take()) {
        if (upgrade.response.headersSent) {
          throw new Error('wsgate: the response had already started when the WebSocket route ran');
        }
        ctx.respond = false;
        return;
      }
      // From here the core answers on the socket (the 101 or a rejection); nothing Koa writes reaches it.
      contexts.set(ctx.req, ctx);
      await upgrade.handshake.accept(route, factsOf(ctx));
      answered(ctx, upgrade);
    };
    return async function websocketRoute(ctx: Ctx) {
      const upgrade = appUpgradeOf(ctx.req);
      if (upgrade === undefined) return notAnUpgrade(ctx);
      const route = routeFor(labelOf(ctx, path));
      if (!(await upgrade.handshake.admit(route as Route<unknown>, factsOf(ctx)))) return answered(ctx, upgrade);
      const run = async (i: number): Promise<unknown> =>
        i === middleware.length
          ? takeUpgrade(ctx, upgrade, route)
          : middleware[i]?.(ctx, () => run(i + 1) as Promise<void>);
      await run(0);
    };
  }

  /**
   * Routes the upgrade requests of a node:http or https server through the app's middleware.
   * Returns the server: `ws.attach(app.listen(3000))`.
   */
  attach<
    Server extends {
      on(event: 'upgrade', listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
    },
  >(server: Server): Server {
    server.on('upgrade', (request, socket, head) => this.handleUpgrade(request, socket, head));
    return server;
  }

  /** One upgrade request, for servers you wire yourself. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The core's cheap checks first; then the whole app, over a response written onto the socket.
    const upgrade = openAppUpgrade(this.gate, request, socket, head);
    if (upgrade === undefined) return;
    // Composed on first use, so that middleware added after `attach` is seen, as it is by `app.listen`.
    this.#callback ??= this.#app.callback();
    this.#callback(request, upgrade.response);
  }

  /** Graceful shutdown (core `gate.close`): new handshakes get 503, open connections close with 1001. */
  close(options?: { timeout?: number }): Promise<void> {
    return this.gate.close(options);
  }

  #reportError(error: unknown, ctx: KoaContext | undefined): void {
    // As Koa's ctx.onerror does: non-errors become errors, and the app's 'error' listeners see them.
    const err = error instanceof Error ? error : new Error(format('non-error thrown: %j', error));
    const app = this.#app;
    if (app.listenerCount('error') > 0) app.emit('error', err, ctx);
    else app.onerror(err);
  }
}

/** Creates the Koa adapter for `app`, with per-app options (every route's defaults). */
export function koaGate<AppContext = undefined>(
  app: KoaApp,
  options?: KoaGateOptions<AppContext>,
): KoaGate<AppContext> {
  return new KoaGate(app, options);
}

// ---------------------------------------------------------------------------------------------------

/** What Koa knows better than the raw request: trust-proxy (`app.proxy`) and keygrip-signed cookies. */
function factsOf(ctx: KoaContext): RequestFacts {
  let cookies: Record<string, string | undefined> | undefined;
  let signed: Record<string, string | undefined> | undefined;
  return {
    // Read only when the core needs them (an Origin to check): app.proxy resolution is not free.
    get secure() {
      return ctx.secure;
    },
    get host() {
      return ctx.host;
    },
    get cookies() {
      cookies ??= readCookies(ctx, false);
      return cookies;
    },
    get signedCookies() {
      // Without app.keys, Koa signs nothing: the core's own `cookieSecret` verification applies.
      if (!ctx.app.keys) return undefined;
      signed ??= readCookies(ctx, true);
      return signed;
    },
  };
}

/** The request's cookies as Koa reads them (`ctx.cookies.get`), signed ones verified with app.keys. */
function readCookies(ctx: KoaContext, signed: boolean): Record<string, string | undefined> {
  const out = Object.create(null) as Record<string, string | undefined>;
  const header = ctx.get('Cookie');
  if (header === '') return out;
  for (const name of Object.keys(parseCookieHeader(header))) {
    if (signed && name.endsWith('.sig')) continue;
    const value = ctx.cookies.get(name, { signed });
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Headers the middleware set before the upgrade (e.g. `ctx.set`, `ctx.cookies.set`) go out with the 101. */
function carryHeaders(res: ServerResponse, upgrade: Upgrade): void {
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value === undefined || NOT_CARRIED.test(name)) continue;
    upgrade.setHeader(name, Array.isArray(value) ? value : String(value));
  }
}

function labelOf(ctx: KoaContext, path: string | undefined): string {
  if (path !== undefined) return path;
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  return matched === undefined ? '*' : String(matched);
}

export type { Connection, GateOptions, Rejection, RouteOptions, Upgrade } from '@wsgate/core';
