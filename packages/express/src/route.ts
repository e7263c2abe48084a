/**
 * A WebSocket route is an ordinary GET route: the middleware given to `ws(...)` runs as Express runs it,
 * and the last step, `websocketRoute`, hands the pending handshake to the core with what Express knows
 * about the request (scheme and host after `trust proxy`, cookie-parser's cookies).
 */

import { appUpgradeOf, type Connection, Gate, type RequestFacts, type Route, reject } from '@wsgate/core';
import type { NextFunction, Request, Response } from 'express';
import type { WebSocket } from 'ws';
import type { WebSocketHandler, WebSocketRouteOptions } from './types.js';

/** The per-app state a route needs: its gate. */
export interface AppGate {
  readonly gate: Gate;
}

/** req -> the app whose server took its upgrade. Only requests that came through an attached server are here. */
export const owners = new WeakMap<object, AppGate>();

interface Parsed {
  options: WebSocketRouteOptions<unknown>;
  middleware: unknown[];
  handler: WebSocketHandler<unknown, unknown>;
}

/** `[options], ...middleware, handler` */
export function parseArguments(method: string, args: readonly unknown[]): Parsed {
  const rest = [...args];
  const first = rest[0];
  const options =
    first !== null && typeof first === 'object' && !Array.isArray(first)
      ? (rest.shift() as WebSocketRouteOptions<unknown>)
      : {};
  const handler = rest.pop();
  if (typeof handler !== 'function') {
    throw new TypeError(`${method}(path, [options], ...middleware, handler): the last argument must be a function`);
  }
  return { options, middleware: rest, handler: handler as WebSocketHandler<unknown, unknown> };
}

/**
 * A route's handlers around the user's middleware: `[entry, ...middleware, last]`. The entry answers a
 * plain request with 426 before any of the route's middleware (which is there for handshakes); the last
 * hands the handshake to the core. Routes are compiled once per gate: eagerly for `app.ws` (the app's own
 * gate), on first use for `router.ws` (a router may be mounted in several apps).
 */
export function websocketRoute(
  label: string,
  options: WebSocketRouteOptions<unknown>,
  middleware: readonly unknown[],
  handler: WebSocketHandler<unknown, unknown>,
  owner: AppGate | undefined,
): unknown[] {
  // An option left undefined means "the app's default", not "off": keep it out of the merge.
  const own = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as WebSocketRouteOptions<unknown>;
  const compiled = new WeakMap<AppGate, Route<unknown>>();
  const compile = (app: AppGate): Route<unknown> => {
    let route = compiled.get(app);
    if (route === undefined) {
      route = app.gate.defineRoute(label, own, connect(handler));
      compiled.set(app, route);
    }
    return route;
  };
  // Invalid options (an origin list with a path, say) throw here, at definition, not at the first request.
  if (owner !== undefined) compile(owner);
  else new Gate().defineRoute(label, own, () => {});

  const entry = function websocketOnly(req: Request, res: Response, next: NextFunction): void {
    const app = owners.get(req);
    const upgrade = appUpgradeOf(req);
    if (app === undefined || upgrade === undefined) {
      notAnUpgrade(req, res);
      return;
    }
    // The route is known from here: Origin, fetch metadata and subprotocols are checked before any of the
    // route's own middleware (its auth) runs, as DESIGN.md orders them; a refusal is already written.
    upgrade.handshake.admit(compile(owner ?? app), facts(req)).then((admitted) => {
      if (admitted) next();
    }, next);
  };

  const last = function websocketHandshake(req: Request, _res: Response, _next: NextFunction): void {
    const app = owners.get(req);
    const upgrade = appUpgradeOf(req);
    // take() is false when the client went away, the deadline passed, or a middleware has already started
    // a response and still called next(): that response is the answer.
    if (app === undefined || upgrade === undefined || !upgrade.take()) return;
    void upgrade.handshake.accept(compile(owner ?? app), facts(req));
  };

  return [entry, ...middleware, last];
}

/** The core's ConnectionHandler over the user's `(socket, req, context)`; the core reports what it throws. */
function connect(handler: WebSocketHandler<unknown, unknown>) {
  return (socket: WebSocket, connection: Connection<unknown>): unknown => {
    const req = connection.request as Request;
    // For request loggers (on-finished fires when the socket closes): this request was switched.
    if (req.res !== undefined) req.res.statusCode = 101;
    return handler(socket, req, connection.context);
  };
}

let warnedUnattached = false;

/** A plain request on a WebSocket-only route: 426, through Express's response (RFC 9110 §15.5.22). */
function notAnUpgrade(req: Request, res: Response): void {
  if (!warnedUnattached && req.headers.upgrade !== undefined && /\bupgrade\b/i.test(req.headers.connection ?? '')) {
    warnedUnattached = true;
    console.warn(
      'wsgate: an upgrade request reached a WebSocket route on a server wsgate is not attached to; ' +
        'start the server with app.listen() after wsgate(app), or call app.wsgate.attach(server)',
    );
  }
  const rejection = reject.notAnUpgrade;
  res.status(rejection.status);
  for (const [name, value] of Object.entries(rejection.headers)) res.setHeader(name, value as string);
  res.send(rejection.body);
}

/**
 * What Express knows better than the raw request: the scheme and host after `trust proxy`, and the
 * cookies cookie-parser parsed. Cookie facts are read only if an `onUpgrade` hook asks.
 */
function facts(req: Request): RequestFacts {
  let cookies: Record<string, string> | undefined;
  let signed: Record<string, string> | undefined;
  const withSecret = typeof (req as { secret?: unknown }).secret === 'string';
  return {
    // Read only when the core needs them (an Origin to check): trust-proxy resolution is not free.
    get secure() {
      return req.secure;
    },
    get host() {
      return hostOf(req);
    },
    get cookies() {
      cookies ??= strings(req.cookies);
      return cookies;
    },
    // cookie-parser without a secret leaves signedCookies empty: let the gate's cookieSecret verify then.
    get signedCookies() {
      if (withSecret) signed ??= strings(req.signedCookies);
      return signed;
    },
  };
}

/**
 * The Host the client addressed, port included, after `trust proxy`: Express 5's `req.host`. Express 4's
 * `req.host` is a deprecated alias of `req.hostname` (no port), so for Express 4 (which still has
 * `req.param`) the same rule is applied here, from the same `trust proxy` setting.
 */
function hostOf(req: Request): string | undefined {
  if (typeof (req as { param?: unknown }).param !== 'function') return req.host;
  const trust = req.app.get('trust proxy fn') as (address: string | undefined, hop: number) => boolean;
  let host = req.get('X-Forwarded-Host');
  if (!host || !trust(req.socket.remoteAddress, 0)) host = req.get('Host');
  else if (host.includes(',')) host = host.slice(0, host.indexOf(',')).trimEnd();
  return host || undefined;
}

/**
 * cookie-parser's records hold more than strings: `false` for a signed cookie that failed verification and
 * objects for `j:` JSON cookies. The core's contract is "forged ones are absent": keep strings only.
 */
function strings(record: unknown): Record<string, string> | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(record)) if (typeof value === 'string') out[name] = value;
  return out;
}
