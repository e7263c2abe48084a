/**
 * What @wsgate/express adds to Express itself, so that `ws` is there wherever a newcomer reaches for it:
 *
 * - `router.ws` on the prototype of every router, from the moment this package is imported: a module of
 *   routes (`const chat = express.Router(); chat.ws(...)`) runs before the app that mounts it calls
 *   `wsgate(app)`. Its routes are checked where declared and compiled for each app that serves them.
 * - on `express.application`, an `app.ws` that explains itself: an app that never went through
 *   `wsgate(app)` has no WebSocket side (no gate, no server hook-up), so it throws a TypeError saying so
 *   instead of Express's bare "app.ws is not a function". `wsgate(app)` sets the app's own `ws`.
 *
 * Only the copy of Express this package resolves is patched at import; an app of another copy gets
 * `router.ws` when it goes through `wsgate(app)`. Nothing is replaced that another library defined.
 */

import { createRequire } from 'node:module';
import { defineWebSocketRoute } from './route.js';

type RouterLike = { get(path: unknown, ...handlers: unknown[]): unknown };

function routerWs(this: RouterLike, path: unknown, ...args: unknown[]): RouterLike {
  defineWebSocketRoute(this, 'router.ws', path, args, undefined);
  return this;
}

function unwiredAppWs(): never {
  throw new TypeError(
    'wsgate: app.ws() exists once the app has gone through wsgate(app), which gives it its WebSocket side: ' +
      'const app = wsgate(express()). For routes in another module, use express.Router() and router.ws().',
  );
}

/**
 * `router.ws` on the prototype of `router`'s class (Express 4's `proto`, Express 5's `Router.prototype` from
 * the router package), found from a router so that the copy of Express it comes from is the one patched.
 */
export function addRouterWs(router: object | undefined): void {
  let proto = router === undefined ? null : Object.getPrototypeOf(router);
  while (proto !== null && !Object.hasOwn(proto, 'route')) proto = Object.getPrototypeOf(proto);
  if (proto === null || Object.hasOwn(proto, 'ws')) return;
  Object.defineProperty(proto, 'ws', { configurable: true, writable: true, value: routerWs });
}

/** The app's own router (created on first use, as `app.use` does), whose prototype every router shares. */
export function routerOf(app: object): object | undefined {
  const lazy = app as { lazyrouter?: () => void; _router?: object; router?: object };
  if (typeof lazy.lazyrouter === 'function') {
    lazy.lazyrouter(); // Express 4
    return lazy._router;
  }
  return lazy.router; // Express 5: a getter that creates it
}

function patchResolvableExpress(): void {
  let express: { application?: object; Router?: () => object } | undefined;
  try {
    express = createRequire(import.meta.url)('express');
  } catch {
    return; // express is a peer: not installed (yet), nothing to patch
  }
  if (typeof express?.Router === 'function') addRouterWs(express.Router());
  const application = express?.application;
  if (application !== undefined && !Object.hasOwn(application, 'ws')) {
    // Copied onto each app by express() (merge-descriptors), writable so that wsgate(app) can set its own.
    Object.defineProperty(application, 'ws', { configurable: true, writable: true, value: unwiredAppWs });
  }
}

patchResolvableExpress();
