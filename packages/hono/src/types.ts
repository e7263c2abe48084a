/** The typed surface of @wsgate/hono: hooks and handlers that also get Hono's `c`, typed by the app's Env. */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Connection, GateOptions, Rejection, RouteOptions, Upgrade } from '@wsgate/core';
import type { Context, Env, MiddlewareHandler } from 'hono';
import type { WebSocket } from 'ws';

/**
 * The `onUpgrade` hook, with Hono's `c` of the request (after your middleware ran: `c.var`, `c.req.param()`,
 * `getCookie(c)`). Returns the connection's context, or a Rejection (`upgrade.reject(...)`).
 */
export type HonoUpgradeHook<Ctx, E extends Env = Env, P extends string = string> = (
  upgrade: Upgrade,
  c: Context<E, P>,
) => Ctx | Rejection | Promise<Ctx | Rejection>;

/**
 * Called once the handshake is accepted, with the ws socket, Hono's `c` (`c.var`, `c.req.param()`) and the
 * core's `connection` (`context`: the hook's; `protocol`, `transport`). Errors it throws go to `onError`.
 */
export type HonoConnectionHandler<Ctx, E extends Env = Env, P extends string = string> = (
  socket: WebSocket,
  c: Context<E, P>,
  connection: Connection<Ctx>,
) => unknown;

/** Per-route options: core's RouteOptions, with an `onUpgrade` that also gets Hono's `c`. */
export interface HonoRouteOptions<Ctx = unknown, E extends Env = Env, P extends string = string>
  extends Omit<RouteOptions<Ctx>, 'onUpgrade'> {
  onUpgrade?: HonoUpgradeHook<Ctx, E, P>;
}

/**
 * Which proxies the adapter believes about the client (Hono has no setting of its own), as Express's
 * `trust proxy` and Fastify's `trustProxy` read it: `true` every hop; a number of hops; addresses or CIDR
 * ranges ('loopback', '10.0.0.0/8', a comma-separated string or an array); or `(address, hop) => boolean`.
 * Default `false`: X-Forwarded-* is never believed, the client is the socket's peer (node-server's
 * `getConnInfo(c)`).
 */
export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/** Per-app options: core's GateOptions (every route's defaults), a Hono `onUpgrade`, and `trustProxy`. */
export interface HonoGateOptions<AppContext = undefined, E extends Env = Env> extends Omit<GateOptions, 'onUpgrade'> {
  onUpgrade?: HonoUpgradeHook<AppContext, E>;
  /** Whose X-Forwarded-For, -Host and -Proto to believe (see `TrustProxy`). Default false. */
  trustProxy?: TrustProxy;
}

/**
 * `T`, without being a place TypeScript infers `T` from (TypeScript 5.4's `NoInfer`, written so that every
 * 5.x reads it): a route's context comes from an `onUpgrade` hook, never from the handler's annotation.
 */
export type NoInference<T> = [T][T extends unknown ? 0 : never];

/** What a node:http(s) or node:http2 server offers for `attach` (`serve(...)` returns one). */
export interface UpgradeServer {
  on(event: 'upgrade', listener: (request: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

/** The route's middleware: Hono's own, seeing the route's path parameters. */
export type RouteMiddleware<E extends Env, P extends string> = MiddlewareHandler<E, P>;
