/**
 * A WebSocket route is an ordinary Hono GET route: `app.get(path, entry, ...middleware, last)`. Its entry
 * hands the route to the core as soon as Hono routed the request (Origin, subprotocols: before the route's
 * own auth); its last step takes the handshake for the core to finish. A plain request gets the core's
 * 426 as Hono's response. Once the core has answered on the socket, Hono gets node-server's
 * RESPONSE_ALREADY_SENT: node-server writes nothing for it.
 */

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Connection, Gate, Upgrade, UpgradeRequest } from '@wsgate/core';
import { type Admitted, type AppUpgrade, defineRoute, upgradeOf, upgradeRequired } from '@wsgate/core/adapter';
import type { Context, MiddlewareHandler } from 'hono';
import type { WebSocket } from 'ws';
import type { HonoConnectionHandler, HonoRouteOptions, HonoUpgradeHook } from './types.js';
import { HonoView } from './view.js';

type Incoming = IncomingMessage | Http2ServerRequest;

/** What a route needs of its gate. */
export interface RouteSite {
  readonly gate: Gate;
  readonly onUpgrade: HonoUpgradeHook<unknown> | undefined;
  readonly trust: ((address: string, hop: number) => boolean) | undefined;
  /** A WebSocket handshake reached a route without coming through `attach`. */
  warnUnattached(c: Context): void;
}

/** The Hono `c` of each request on its way through a WebSocket route, for the hook and the handler. */
const contexts = new WeakMap<UpgradeRequest, Context>();

/** The request node-server gave the app (`c.env.incoming`): undefined under `app.request()` or another runtime. */
export function incomingOf(c: Context): Incoming | undefined {
  return (c.env as { incoming?: Incoming } | undefined)?.incoming;
}

/** `[options], ...middleware, handler` */
export function parseRouteArguments(args: readonly unknown[]) {
  const rest = [...args];
  const first = rest[0];
  const options = (
    first !== null && typeof first === 'object' && !Array.isArray(first) ? rest.shift() : {}
  ) as HonoRouteOptions<unknown>;
  const handler = rest.pop();
  if (typeof handler !== 'function' || rest.some((m) => typeof m !== 'function')) {
    throw new TypeError('wsgate: ws.route(path, [options], ...middleware, handler) takes functions after the options');
  }
  return { options, middleware: rest as MiddlewareHandler[], handler: handler as HonoConnectionHandler<unknown> };
}

/** The Hono handlers of a WebSocket route: compiled once, here (a bad option is a TypeError now). */
export function websocketRoute(
  site: RouteSite,
  path: string,
  options: HonoRouteOptions<unknown>,
  middleware: readonly MiddlewareHandler[],
  handler: HonoConnectionHandler<unknown>,
): MiddlewareHandler[] {
  const { onUpgrade = site.onUpgrade, ...routeOptions } = options;
  const hook = onUpgrade;
  const route = defineRoute(
    site.gate,
    path,
    {
      ...routeOptions,
      // Only a route with a hook pays for the hook's view.
      onUpgrade: hook && ((upgrade: Upgrade) => hook(upgrade, contexts.get(upgrade.request) as Context)),
    },
    (socket: WebSocket, connection: Connection<unknown>) => {
      const c = contexts.get(connection.request) as Context;
      contexts.delete(connection.request); // see the admitted entry below
      return handler(socket, c, connection);
    },
  );

  // What this route's entry admitted, for its last step, which takes it out (see @wsgate/express's route).
  const admittedHere = new WeakMap<AppUpgrade, Admitted>();

  const entry: MiddlewareHandler = async (c, next) => {
    const incoming = incomingOf(c);
    const upgrade = incoming && upgradeOf(incoming);
    if (incoming === undefined || upgrade === undefined) {
      site.warnUnattached(c);
      return upgradeRequiredThroughHono(c, incoming);
    }
    contexts.set(incoming, c);
    // From a refusal on, the core has answered on the socket. Awaited only when a policy is async.
    const admitting = upgrade.admit(route, new HonoView(c, incoming, site.trust));
    const admitted = admitting instanceof Promise ? await admitting : admitting;
    if (admitted === undefined) return RESPONSE_ALREADY_SENT;
    admittedHere.set(upgrade, admitted);
    await next();
  };

  const last: MiddlewareHandler = async (c) => {
    const upgrade = upgradeOf(incomingOf(c) as Incoming);
    const admitted = upgrade === undefined ? undefined : admittedHere.get(upgrade);
    if (admitted !== undefined) {
      admittedHere.delete(upgrade as AppUpgrade);
      // A promise only when something on the way is async; undefined when the app or the core has answered.
      const accepted = (upgrade as AppUpgrade).accept(admitted);
      if (accepted !== undefined) await accepted;
    }
    return RESPONSE_ALREADY_SENT;
  };

  return [entry, ...middleware, last];
}

/** The core's 426 (400 over HTTP/2) to a plain request, as Hono's response (RFC 9110 §15.5.22, §7.8). */
export function upgradeRequiredThroughHono(c: Context, incoming: Incoming | undefined): Response {
  const { status, headers, body } = upgradeRequired(incoming);
  return c.body(body, status as 426, headers);
}
