/** The typed surface of @wsgate/koa: hooks and handlers that also get the Koa context. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connection, GateOptions, Rejection, RouteOptions, Upgrade } from '@wsgate/core';
import type Koa from 'koa';
import type { WebSocket } from 'ws';

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

/** Called once the handshake is accepted. Errors it throws (or rejects with) go to `app.on('error')`. */
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

/**
 * `T`, without being a place TypeScript infers `T` from (TypeScript 5.4's `NoInfer`, written so that every
 * 5.x reads it): a route's context comes from an `onUpgrade` hook, never from the handler's annotation.
 */
export type NoInference<T> = [T][T extends unknown ? 0 : never];

/** A Koa middleware taking the WebSocket upgrade. Plain (non-upgrade) requests get 426. */
export type WebSocketMiddleware<Ctx = KoaContext> = (ctx: Ctx, next: Koa.Next) => Promise<void>;

/** What the adapter needs of a Koa app, of any State and Context. */
export interface KoaApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
  emit(event: 'error', error: Error, ctx?: unknown): boolean;
  listenerCount(event: 'error'): number;
  onerror(error: Error): void;
}
