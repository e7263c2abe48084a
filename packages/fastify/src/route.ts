/**
 * WebSocket routes in Fastify: a GET route declared with `websocket` (or `wsHandler`) is compiled by the core
 * when Fastify declares it, and the plugin's onRequest hook admits a handshake as soon as Fastify routed it:
 *
 *   onRequest (ours, first)  -> admit (Origin, subprotocols), before the route's own hooks
 *   the route's own hooks    -> its auth may answer instead
 *   the route's handler      -> reply.hijack(), accept (onUpgrade(upgrade, request), quotas, 101)
 *                               -> handler(socket, request, context)
 *
 * A plain request on a WebSocket-only route gets the core's 426 through Fastify's reply.
 */

import type { ConnectionHandler, Gate, Upgrade, UpgradeRequest } from '@wsgate/core';
import {
  type Admitted,
  type AppUpgrade,
  defineRoute,
  type Route,
  upgradeOf,
  upgradeRequired,
} from '@wsgate/core/adapter';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import type { FastifyUpgradeHook, WebSocketHandler, WebSocketRouteOptions } from './types.js';
import { FastifyView } from './view.js';

/** In a WebSocket route's config: its compiled core route, and whether plain requests get 426. */
const kRoute = Symbol('wsgate.route');
const kUpgradeRequired = Symbol('wsgate.upgradeRequired');
/** In the config of every route the plugin saw declared: the others were declared before it was registered. */
const kSeen = Symbol('wsgate.seen');

interface RouteConfig {
  [kRoute]?: Route<unknown>;
  [kUpgradeRequired]?: boolean;
  [kSeen]?: true;
}
type HttpHandler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;

/** What onRequest admitted, for the route's handler. */
const admittedFor = new WeakMap<AppUpgrade, Admitted>();
/** The Fastify request and instance of each handshake that reached its handler, for the user's handler. */
const routed = new WeakMap<UpgradeRequest, { request: FastifyRequest; instance: FastifyInstance }>();

/**
 * The plugin's onRequest hook: a handshake on a WebSocket route is admitted before the route's own hooks run.
 * `declaredBefore`: a handshake reached a route the plugin never saw declared.
 */
export function admitOnRequest(declaredBefore: (request: FastifyRequest) => void) {
  return function wsgateAdmit(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction): void {
    const config = request.routeOptions.config as RouteConfig | undefined;
    const compiled = config?.[kRoute];
    if (compiled === undefined) {
      if (config?.[kSeen] !== true && !request.is404) declaredBefore(request);
      next();
      return;
    }
    const upgrade = upgradeOf(request.raw);
    if (upgrade === undefined) {
      // A plain request for a WebSocket-only resource: 426 whatever the auth hooks would say.
      if (config?.[kUpgradeRequired]) upgradeRequiredReply(reply);
      else next();
      return;
    }
    // Once the core has refused on the socket, Fastify writes nothing more.
    const admit = (admitted: Admitted | undefined) => {
      if (admitted === undefined) {
        reply.hijack();
        return;
      }
      admittedFor.set(upgrade, admitted);
      next();
    };
    const admitted = upgrade.admit(compiled, new FastifyView(request, reply));
    if (admitted instanceof Promise) admitted.then(admit, next);
    else admit(admitted);
  };
}

/** The plugin's onRoute hook: a route declared with `websocket` or `wsHandler` becomes a WebSocket route. */
export function declareWebSocketRoute(gate: Gate, routeOptions: RouteOptions): void {
  routeOptions.config = { ...routeOptions.config, [kSeen]: true } as typeof routeOptions.config;
  const { websocket, wsHandler } = routeOptions;
  if (!websocket && wsHandler === undefined) return;
  const methods = ([] as string[]).concat(routeOptions.method);
  if (methods.some((method) => method !== 'GET' && method !== 'HEAD')) {
    throw new Error(`@wsgate/fastify: WebSocket route ${routeOptions.url} must be GET, not ${methods.join(', ')}`);
  }
  const handler = (wsHandler ?? routeOptions.handler) as WebSocketHandler;
  if (typeof handler !== 'function') {
    throw new TypeError(`@wsgate/fastify: ${routeOptions.url} has no WebSocket handler`);
  }
  const { onUpgrade, ...gateRouteOptions }: WebSocketRouteOptions =
    typeof websocket === 'object' && websocket !== null ? websocket : {};
  // Compiled once, here, over the plugin's defaults: a bad option is a TypeError at definition.
  const compiled = defineRoute(
    gate,
    routeOptions.url,
    onUpgrade === undefined ? gateRouteOptions : { ...gateRouteOptions, onUpgrade: withFastifyRequest(onUpgrade) },
    connect(handler),
  );
  const config: RouteConfig = { [kRoute]: compiled, [kUpgradeRequired]: wsHandler === undefined };
  routeOptions.config = { ...routeOptions.config, ...config };
  const http = wsHandler === undefined ? upgradeRequiredHandler : (routeOptions.handler as HttpHandler);
  routeOptions.handler = webSocketRoute(http) as RouteOptions['handler'];
}

/** A Fastify `onUpgrade` as the core's: it also gets the Fastify request, after the route's hooks. */
export function withFastifyRequest<Context>(
  hook: FastifyUpgradeHook<Context>,
): (upgrade: Upgrade) => ReturnType<typeof hook> {
  if (typeof hook !== 'function') return hook; // the core names the option in its TypeError
  return (upgrade) => hook(upgrade, (routed.get(upgrade.request) as { request: FastifyRequest }).request);
}

/** The user's handler as the core's connection handler (the core reports what it throws, with 1011). */
function connect(handler: WebSocketHandler): ConnectionHandler<unknown> {
  return (socket, connection) => {
    const { request, instance } = routed.get(connection.request) as NonNullable<ReturnType<typeof routed.get>>;
    routed.delete(connection.request); // see @wsgate/express's route
    return handler.call(instance, socket, request, connection.context, connection);
  };
}

/** The handler of a WebSocket route: plain requests to `http`, handshakes to the gate. */
function webSocketRoute(http: HttpHandler): HttpHandler {
  return function wsgateRoute(this: FastifyInstance, request, reply) {
    const upgrade = upgradeOf(request.raw);
    const admitted = upgrade === undefined ? undefined : admittedFor.get(upgrade);
    if (admitted === undefined) return http.call(this, request, reply);
    admittedFor.delete(upgrade as AppUpgrade); // taken out: see @wsgate/express's route
    // Nothing Fastify writes from now on may reach the socket: the core answers there.
    reply.hijack();
    routed.set(request.raw, { request, instance: this });
    void (upgrade as AppUpgrade).accept(admitted);
    return undefined;
  };
}

/** A plain request on a WebSocket-only route: the core's 426, through Fastify's reply. */
function upgradeRequiredReply(reply: FastifyReply): FastifyReply {
  const { status, headers, body } = upgradeRequired(reply.request.raw);
  return reply.code(status).headers(headers).send(body);
}

function upgradeRequiredHandler(this: FastifyInstance, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return upgradeRequiredReply(reply);
}
