/**
 * `wsgate(app)`: upgrade requests go through the app like any request, before any 101.
 *
 *   server 'upgrade' -> openAppUpgrade: the core's checks, then app(req, res) over a response on the socket
 *     -> app.use, routers, params, auth, error handler, 404: Express as usual; an answer from the app goes out
 *     -> a `ws` route: admit (Origin, subprotocols), its middleware, accept (hook, quotas, 101) -> handler
 */

import { Gate, type GateOptions } from '@wsgate/core';
import { serveApp } from '@wsgate/core/adapter';
import type { Application, Request, Response } from 'express';
import { addRouterWs, routerOf } from './methods.js';
import { defineWebSocketRoute } from './route.js';
import type { ExpressGate, UpgradeServer, WebSocketApp, WsgateOptions } from './types.js';

/**
 * Adds WebSocket routes to an Express 4 or 5 app: `app.ws(path, [options], ...middleware, handler)` and
 * the same `ws` on every `express.Router()` of that Express. `app.listen` serves them; for a server you
 * create yourself, `app.wsgate.attach(server)`. Returns the app.
 *
 * Like `app.use`, this creates the app's router: set 'case sensitive routing' and 'strict routing' first.
 */
export function wsgate<App extends Application, Context = undefined>(
  app: App,
  options: WsgateOptions<Context> = {},
): WebSocketApp<App, Context> {
  const target = app as App & { ws?: unknown; wsgate?: unknown };
  if (typeof app !== 'function' || typeof (app as { handle?: unknown }).handle !== 'function') {
    throw new TypeError('wsgate(app): app must be an Express application (express())');
  }
  if (target.wsgate !== undefined) throw new TypeError('wsgate: this app already has a wsgate');
  const gate = new Gate(options as GateOptions);
  // Express cannot serve node:http2's compat requests (http1-only.ts): its handler gets node:http's alone.
  const serving = serveApp(gate, (request, response) => app(request as Request, response as Response), {
    http2: false,
  });
  const controller: ExpressGate = {
    gate,
    attach: (server) => serving.attach(server),
    handleUpgrade: (request, socket, head) => serving.handleUpgrade(request, socket, head),
    close: (closeOptions) => gate.close(closeOptions),
  };

  Object.defineProperty(app, 'wsgate', { value: controller, enumerable: false });
  target.ws = function ws(path: unknown, ...args: unknown[]) {
    defineWebSocketRoute(app, 'app.ws', path, args, gate);
    return app;
  };
  addRouterWs(routerOf(app));

  const listen = app.listen;
  app.listen = function (this: unknown, ...args: unknown[]) {
    const server = (listen as (...a: unknown[]) => UpgradeServer).apply(this, args);
    return controller.attach(server);
  } as App['listen'];

  return app as WebSocketApp<App, Context>;
}
