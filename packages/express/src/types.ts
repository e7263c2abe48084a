/**
 * The typed surface: `app.ws` / `router.ws`, the handler and the options.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Connection, Gate, GateOptions, RouteOptions, UpgradeHook } from '@wsgate/core';
import type { Request, RequestHandler } from 'express';
import type { ParamsDictionary, RouteParameters } from 'express-serve-static-core';
import type { WebSocket } from 'ws';

/**
 * Called once the 101 is written: the ws socket, the Express `req` with everything the middleware set
 * (`req.params`, `req.session`, `req.user`, `req.signedCookies`...), the `onUpgrade` hook's context, and
 * the core's `connection` (`transport`: `'http/1.1'`, or `'hixie-76'` on a route with `legacy`, whose
 * socket has only ws's basic surface). The negotiated subprotocol is `socket.protocol`. A throw or a
 * rejected promise closes the socket with 1011 and is reported to `onError`.
 */
export type WebSocketHandler<Params = ParamsDictionary, Context = unknown> = (
  socket: WebSocket,
  req: Request<Params>,
  context: Context,
  connection: Connection<Context>,
) => unknown;

/** Per-route options (the core's): origin, subprotocols, deadline, limits, quotas, `onUpgrade`... */
export type WebSocketRouteOptions<Context = unknown> = RouteOptions<Context>;

/** Per-app options: the core's gate options, whose `onUpgrade` context type reaches every handler. */
export interface WsgateOptions<Context = undefined> extends Omit<GateOptions, 'onUpgrade'> {
  onUpgrade?: UpgradeHook<Context>;
}

/** What `ws` accepts as a path, as Express's router does: a path pattern, a RegExp, or an array of them. */
export type WebSocketPath = string | RegExp | readonly (string | RegExp)[];

/** `req.params` of a route: typed from a string pattern (`/rooms/:room`), a plain record otherwise. */
type ParamsOf<Path> = Path extends string ? RouteParameters<Path> : ParamsDictionary;

type Middleware<Path> = RequestHandler<ParamsOf<Path>>;

/** Route options as an argument: never a function, so that a middleware is never taken for options. */
type RouteOptionsObject<Context> = WebSocketRouteOptions<Context> & { call?: never; apply?: never };

/**
 * `T`, without being a place TypeScript infers `T` from (TypeScript 5.4's `NoInfer`, written so that every
 * 5.x reads it): a route's context comes from its `onUpgrade`, never from the handler's annotation.
 */
type NoInference<T> = [T][T extends unknown ? 0 : never];

type Handler<Path, Context> = WebSocketHandler<ParamsOf<Path>, NoInference<Context>>;
type RouteOptionsOrMiddleware<Path, Context> = RouteOptionsObject<Context> | Middleware<Path>;

/**
 * `ws(path, [options], ...middleware, handler)`: a GET route whose middleware runs before the 101 and whose
 * last function gets the socket. Route options with an `onUpgrade` hook give that hook's context type;
 * otherwise the app's.
 *
 * One signature per number of arguments (the last one for long chains), so that TypeScript checks a call
 * against one signature: a misspelled or mistyped option is reported on the option itself (`'subprotocol'
 * does not exist in type ...`), not as "No overload matches this call", and the functions after it keep
 * their parameter types (TypeScript leaves the functions in a variadic rest untyped once a call fails).
 */
export interface WebSocketMatcher<This, Context> {
  <Path extends WebSocketPath>(path: Path, handler: Handler<Path, Context>): This;
  <Path extends WebSocketPath, RouteContext = Context>(
    path: Path,
    optionsOrMiddleware: RouteOptionsOrMiddleware<Path, RouteContext>,
    handler: Handler<Path, RouteContext>,
  ): This;
  <Path extends WebSocketPath, RouteContext = Context>(
    path: Path,
    optionsOrMiddleware: RouteOptionsOrMiddleware<Path, RouteContext>,
    m1: Middleware<Path>,
    handler: Handler<Path, RouteContext>,
  ): This;
  <Path extends WebSocketPath, RouteContext = Context>(
    path: Path,
    optionsOrMiddleware: RouteOptionsOrMiddleware<Path, RouteContext>,
    m1: Middleware<Path>,
    m2: Middleware<Path>,
    handler: Handler<Path, RouteContext>,
  ): This;
  <Path extends WebSocketPath, RouteContext = Context>(
    path: Path,
    optionsOrMiddleware: RouteOptionsOrMiddleware<Path, RouteContext>,
    m1: Middleware<Path>,
    m2: Middleware<Path>,
    m3: Middleware<Path>,
    handler: Handler<Path, RouteContext>,
  ): This;
  <Path extends WebSocketPath, RouteContext = Context>(
    path: Path,
    optionsOrMiddleware: RouteOptionsOrMiddleware<Path, RouteContext>,
    m1: Middleware<Path>,
    m2: Middleware<Path>,
    m3: Middleware<Path>,
    m4: Middleware<Path>,
    ...handlers: [...Middleware<Path>[], Handler<Path, RouteContext>]
  ): This;
}

/** What a node:http / https server offers for `attach`. */
export interface UpgradeServer {
  on(event: 'upgrade', listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

/** The app's WebSocket side: the core gate, the server hook-up and shutdown. */
export interface ExpressGate {
  /** The core gate: `pending`, `connections`, `close()`. */
  readonly gate: Gate;
  /**
   * Serves the app's WebSocket routes on a server you created (`https.createServer(app)`, ...). The
   * patched `app.listen` does this itself. Every upgrade request on the server goes through the app.
   */
  attach<Server extends UpgradeServer>(server: Server): Server;
  /** The 'upgrade' listener itself, for servers wired by hand. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuses new handshakes (503) and closes open sockets with 1001; see core `Gate.close`. */
  close(options?: { timeout?: number }): Promise<void>;
}

/** The app returned by `wsgate(app)`: the same object, with `ws` and `wsgate`. */
export type WebSocketApp<App, Context> = App & {
  ws: WebSocketMatcher<WebSocketApp<App, Context>, Context>;
  readonly wsgate: ExpressGate;
};
