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
 * the core's connection (its protocol, route label and transport, as every adapter's handler gets it).
 * The negotiated subprotocol is also `socket.protocol`. A throw or a rejected promise closes the socket
 * with 1011 and is reported to `onError`.
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

type Middleware<Path extends string> = RequestHandler<RouteParameters<Path>>;

/** Route options as an argument: never a function, so that a middleware is never taken for options. */
type RouteOptionsObject<Context> = WebSocketRouteOptions<Context> & { call?: never; apply?: never };

/**
 * `ws(path, [options], ...middleware, handler)`: a GET route whose middleware runs before the 101 and whose
 * last function gets the socket. Route options with an `onUpgrade` hook give that hook's context type;
 * otherwise the app's.
 */
export interface WebSocketMatcher<This, Context> {
  <Path extends string>(
    path: Path,
    ...handlers: [...Middleware<Path>[], WebSocketHandler<RouteParameters<Path>, Context>]
  ): This;
  <Path extends string, RouteContext>(
    path: Path,
    options: RouteOptionsObject<RouteContext> & { onUpgrade: UpgradeHook<RouteContext> },
    ...handlers: [...Middleware<Path>[], WebSocketHandler<RouteParameters<Path>, RouteContext>]
  ): This;
  <Path extends string>(
    path: Path,
    options: Omit<RouteOptionsObject<unknown>, 'onUpgrade'> & { onUpgrade?: undefined },
    ...handlers: [...Middleware<Path>[], WebSocketHandler<RouteParameters<Path>, Context>]
  ): This;
  /** A RegExp or an array of paths: params are untyped. */
  (
    path: RegExp | readonly (string | RegExp)[],
    ...handlers: [...(RouteOptionsObject<unknown> | RequestHandler)[], WebSocketHandler<ParamsDictionary, Context>]
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
