import type { Env } from 'hono';
import { type HonoApp, HonoGate } from './gate.js';
import type { HonoGateOptions } from './types.js';

export type { Connection, GateOptions, Rejection, RouteOptions, Upgrade } from '@wsgate/core';
export { reject } from '@wsgate/core';
export { type HonoApp, HonoGate } from './gate.js';
export type {
  HonoConnectionHandler,
  HonoGateOptions,
  HonoRouteOptions,
  HonoUpgradeHook,
  TrustProxy,
  UpgradeServer,
} from './types.js';

/**
 * Creates the Hono adapter for `app`, with per-app options (every route's defaults, `trustProxy`):
 *
 *   const ws = wsgate(app);
 *   ws.route('/chat', requireUser, (socket, c) => { ... });
 *   ws.attach(serve({ fetch: app.fetch, port: 3000 }));
 *
 * `c.var` in the hook and the handler is typed by the app's Env (`new Hono<{ Variables: ... }>()`).
 */
export function wsgate<E extends Env, AppContext = undefined>(
  app: HonoApp<E>,
  options?: HonoGateOptions<AppContext, E>,
): HonoGate<E, AppContext> {
  return new HonoGate(app, options);
}
