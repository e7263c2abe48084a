/**
 * A WebSocket route is an ordinary GET route: the middleware given to `ws(...)` runs as Express runs it.
 * Its first step hands the route to the core as soon as routing found it (Origin, subprotocols: before the
 * route's own auth); its last takes the handshake for the core to finish. Plain requests get the core's
 * 426, through Express's response.
 */

import { type Connection, Gate } from '@wsgate/core';
import {
  type Admitted,
  type AppUpgrade,
  defineRoute,
  isUnattachedUpgrade,
  type Route,
  upgradeOf,
  upgradeRequired,
} from '@wsgate/core/adapter';
import type { NextFunction, Request, Response } from 'express';
import type { WebSocket } from 'ws';
import type { WebSocketHandler, WebSocketRouteOptions } from './types.js';
import { ExpressView } from './view.js';

/** `[options], ...middleware, handler` */
function parseArguments(method: string, args: readonly unknown[]) {
  const rest = [...args];
  const first = rest[0];
  const options =
    first !== null && typeof first === 'object' && !Array.isArray(first)
      ? (rest.shift() as WebSocketRouteOptions<unknown>)
      : {};
  const handler = rest.pop();
  if (typeof handler !== 'function' || rest.some((m) => typeof m !== 'function')) {
    throw new TypeError(`wsgate: ${method}(path, [options], ...middleware, handler) takes functions after the options`);
  }
  checkHandlerShape(method, handler);
  return { options, middleware: rest, handler: handler as WebSocketHandler<unknown, unknown> };
}

/** A function whose first parameter is named `req` or `request`: written as middleware, `(req, res) => …`. */
const MIDDLEWARE_SHAPED =
  /^(?:async\s*)?(?:function\b[^(]*)?\(\s*(req|request)\s*[,)]|^(?:async\s+)?(req|request)\s*=>/;

/**
 * The last function is the handler, `(socket, req, context, connection)`, called after the 101. One written
 * as middleware, `(req, res) => …`, would otherwise fail only then, on the socket ("res.status is not a
 * function"), where nothing can answer the client any more: refused here, where it is written. Read from
 * the source's parameter names; minified code has other names and is not checked.
 */
function checkHandlerShape(method: string, handler: object): void {
  const shaped = MIDDLEWARE_SHAPED.exec(Function.prototype.toString.call(handler).trimStart());
  if (shaped === null) return;
  throw new TypeError(
    `wsgate: ${method}(path, [options], ...middleware, handler): the last function is the handler, called ` +
      `with (socket, req, context, connection) after the 101, but its first parameter is named ` +
      `"${shaped[1] ?? shaped[2]}": a middleware (req, res, next) goes before the handler`,
  );
}

type RouterLike = { get(path: unknown, ...handlers: unknown[]): unknown };

/**
 * `ws(path, [options], ...middleware, handler)` on an app or a router: an ordinary GET route. `owner` is the
 * app's gate for `app.ws`; a router's routes are compiled for each app that serves them.
 */
export function defineWebSocketRoute(
  router: RouterLike,
  method: 'app.ws' | 'router.ws',
  path: unknown,
  args: readonly unknown[],
  owner: Gate | undefined,
): void {
  checkPath(method, path);
  const { options, middleware, handler } = parseArguments(method, args);
  const label = Array.isArray(path) ? path.map(String).join(',') : String(path);
  router.get(path, ...websocketRoute(label, options, middleware, handler, owner));
}

/** Express matches a string path against `req.path`, which starts with '/': any other string never matches. */
function checkPath(method: string, path: unknown): void {
  const paths = Array.isArray(path) ? path : [path];
  for (const each of paths) {
    if (each instanceof RegExp || (typeof each === 'string' && (each.startsWith('/') || each.startsWith('*'))))
      continue;
    const got = typeof each === 'string' ? JSON.stringify(each) : typeof each;
    throw new TypeError(`wsgate: ${method}(path, ...): a path starts with "/" (or is a RegExp), got ${got}`);
  }
}

/** Checks a router's route where it is declared, before any app serves it: options and handler. */
let checking: Gate | undefined;
const checkingGate = (): Gate => {
  checking ??= new Gate();
  return checking;
};

/** The gate of the app whose server received the request: the app, or the nearest parent with one. */
function gateOf(req: Request): Gate | undefined {
  let app = req.app as (Request['app'] & { wsgate?: { gate: Gate }; parent?: Request['app'] }) | undefined;
  while (app !== undefined && app.wsgate === undefined) app = app.parent;
  return app?.wsgate?.gate;
}

/**
 * A route's handlers around the user's middleware: `[entry, ...middleware, last]`. Checked where it is
 * declared (a bad option is a TypeError there), compiled once per gate: eagerly for `app.ws` (its own gate),
 * on first use for `router.ws` (a router may be declared before any app exists, and mounted in several).
 */
export function websocketRoute(
  label: string,
  options: WebSocketRouteOptions<unknown>,
  middleware: readonly unknown[],
  handler: WebSocketHandler<unknown, unknown>,
  owner: Gate | undefined,
): unknown[] {
  const connect = (socket: WebSocket, connection: Connection<unknown>) =>
    handler(socket, connection.request as Request, connection.context, connection);
  const compiled = new Map<Gate, Route<unknown>>();
  if (owner === undefined) defineRoute(checkingGate(), label, options, connect);
  else compiled.set(owner, defineRoute(owner, label, options, connect));
  const routeFor = (gate: Gate) => {
    let route = compiled.get(gate);
    if (route === undefined) {
      route = defineRoute(gate, label, options, connect);
      compiled.set(gate, route);
    }
    return route;
  };

  // What this route's entry admitted, for its last step: this route's own, so that no other route's admission
  // (a request that went on with next('route')) is taken for it. The last step takes it out: V8's minor GC
  // keeps a WeakMap's entries, so one left in would keep the handshake's objects alive until a major GC.
  const admittedHere = new WeakMap<AppUpgrade, Admitted>();

  const entry = function websocketOnly(req: Request, res: Response, next: NextFunction): void {
    const upgrade = upgradeOf(req);
    const gate = gateOf(req);
    if (upgrade === undefined || gate === undefined) {
      notAnUpgrade(req, res);
      return;
    }
    const admit = (admitted: Admitted | undefined) => {
      if (admitted === undefined) return; // the core has answered on the socket
      admittedHere.set(upgrade, admitted);
      next();
    };
    // Synchronous unless a policy is not: then the route's middleware runs in this same turn.
    const admitted = upgrade.admit(routeFor(gate), new ExpressView(req, res));
    if (admitted instanceof Promise) admitted.then(admit, next);
    else admit(admitted);
  };

  const last = function websocketHandshake(req: Request): void {
    const upgrade = upgradeOf(req);
    const admitted = upgrade === undefined ? undefined : admittedHere.get(upgrade);
    if (admitted === undefined) return;
    admittedHere.delete(upgrade as AppUpgrade);
    void (upgrade as AppUpgrade).accept(admitted);
  };

  return [entry, ...middleware, last];
}

let warnedUnattached = false;

/** A plain request (or an upgrade to another protocol) on a WebSocket route: the core's 426. */
function notAnUpgrade(req: Request, res: Response): void {
  if (!warnedUnattached && isUnattachedUpgrade(req)) {
    warnedUnattached = true;
    console.warn(
      'wsgate: a WebSocket upgrade reached a WebSocket route on a server wsgate is not attached to; ' +
        'start the server with app.listen() after wsgate(app), or call app.wsgate.attach(server)',
    );
  }
  const { status, headers, body } = upgradeRequired(req);
  res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
}
