import { upgradeOf } from '@wsgate/core/adapter';
import type Koa from 'koa';
import { KoaGate } from './gate.js';
import { upgradeRequiredThroughKoa } from './route.js';
import type { KoaApp, KoaContext, KoaGateOptions } from './types.js';

export type { Connection, GateOptions, Rejection, RouteOptions, Upgrade } from '@wsgate/core';
export { KoaGate } from './gate.js';
export type {
  KoaApp,
  KoaConnectionHandler,
  KoaContext,
  KoaGateOptions,
  KoaRouteOptions,
  KoaUpgradeHook,
  WebSocketMiddleware,
} from './types.js';

/** Creates the Koa adapter for `app`, with per-app options (every route's defaults). */
export function koaGate<AppContext = undefined>(
  app: KoaApp,
  options?: KoaGateOptions<AppContext>,
): KoaGate<AppContext> {
  return new KoaGate(app, options);
}

/** True while `ctx` is a WebSocket handshake that no one has answered yet. */
export function isWebSocketUpgrade(ctx: { req: KoaContext['req'] }): boolean {
  return upgradeOf(ctx.req)?.inFlight === true;
}

/**
 * Answers 426 Upgrade Required to anything but a WebSocket handshake, and passes handshakes on. `ws.route`
 * does the same at the end of the chain; put this first when plain requests should get 426 before your
 * auth middleware answers them: `router.get('/chat', requireUpgrade, requireUser, ws.route(...))`.
 */
export async function requireUpgrade<Ctx extends KoaContext>(ctx: Ctx, next: Koa.Next): Promise<void> {
  if (upgradeOf(ctx.req) !== undefined) return next();
  upgradeRequiredThroughKoa(ctx);
}
