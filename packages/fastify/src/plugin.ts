/**
 * The Fastify plugin: translation only, no policy.
 *
 *   server 'upgrade'  -> openAppUpgrade: the core's checks (a refusal is written there), then
 *                        fastify.routing(req, res) over a response on the socket: the app's hooks, schemas
 *                        and error handler run, and whatever they answer is a real HTTP response
 *   HTTP/2 'connect'  -> openAppConnect: the same for an extended CONNECT (RFC 8441) on the stream,
 *                        routed as the GET it stands for
 *   WebSocket route   -> onRequest (ours, first): admit (Origin, subprotocols) before the route's hooks
 *                     -> the route's own hooks (its auth) -> handler: reply.hijack(), take, accept
 *                        (onUpgrade, quotas, 101) -> the route's handler(socket, request, context)
 *
 * The core finishes Fastify's reply with the status the client got when Fastify watches it (onResponse
 * hooks, its logger), so that they see the 101 or the refusal.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ConnectionHandler, createGate, type Gate } from '@wsgate/core';
import {
  accept,
  admit,
  defineRoute,
  isHttp2Server,
  openAppConnect,
  openAppUpgrade,
  type Route,
  serveExtendedConnect,
  upgradeOf,
  upgradeRequired,
} from '@wsgate/core/adapter';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocketHandler, WebSocketRouteOptions, WsGatePluginOptions } from './types.js';
import { FastifyView } from './view.js';

/** In a WebSocket route's config: its compiled core route, and whether plain requests get 426. */
const kRoute = Symbol('wsgate.route');
const kUpgradeRequired = Symbol('wsgate.upgradeRequired');
/** In the config of every route the plugin saw declared: the others were declared before it was registered. */
const kSeen = Symbol('wsgate.seen');
/** On the raw request: the Fastify request and instance the route's handler gets. */
const kRouted = Symbol('wsgate.routed');

interface RouteConfig {
  [kRoute]?: Route<unknown>;
  [kUpgradeRequired]?: boolean;
  [kSeen]?: true;
}
type RawRequest = IncomingMessage & { [kRouted]?: { request: FastifyRequest; instance: FastifyInstance } };
type HttpHandler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

const wsgatePlugin: FastifyPluginCallback<WsGatePluginOptions> = (fastify, options, done) => {
  if (fastify.hasDecorator('wsgate')) {
    done(new Error('@wsgate/fastify is already registered on this instance'));
    return;
  }
  // `prefix`, `logLevel` and `logSerializers` are Fastify's own register options, not the gate's.
  const { closeTimeout = DEFAULT_CLOSE_TIMEOUT_MS, http2 = true, onError, onEvent, ...rest } = options;
  const {
    prefix: _prefix,
    logLevel: _logLevel,
    logSerializers: _serializers,
    ...gateOptions
  } = rest as typeof rest & Record<'prefix' | 'logLevel' | 'logSerializers', unknown>;
  if (typeof closeTimeout !== 'number' || !(closeTimeout >= 0)) {
    done(
      new TypeError(
        `@wsgate/fastify: option "closeTimeout" must be a number of milliseconds, got ${typeof closeTimeout} ${JSON.stringify(closeTimeout)}`,
      ),
    );
    return;
  }
  if (typeof http2 !== 'boolean') {
    done(new TypeError(`@wsgate/fastify: option "http2" must be a boolean, got ${typeof http2}`));
    return;
  }
  // With Fastify's logger on, a refusal before routing (which Fastify never sees) is logged through it.
  const level = (fastify.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  const logger = level?.call(fastify.log, 'info') ? fastify.log : undefined;
  let gate: Gate;
  try {
    gate = createGate({
      ...gateOptions,
      logRejections: gateOptions.logRejections ?? (logger === undefined ? undefined : false),
      onError:
        onError ??
        ((error, request) =>
          fastify.log.error({ err: error, method: request.method, url: request.url }, 'wsgate error')),
      onEvent:
        logger === undefined
          ? onEvent
          : (event) => {
              if (event.outcome === 'reject' && upgradeOf(event.request as IncomingMessage) === undefined) {
                const { method, url } = event.request;
                logger.info({ method, url, statusCode: event.status, code: event.code }, 'websocket handshake refused');
              }
              onEvent?.(event);
            },
    });
  } catch (error) {
    done(error as Error); // a bad option: `await app.register(...)` rejects with the TypeError
    return;
  }

  const routing = (raw: IncomingMessage, response: unknown) => {
    try {
      fastify.routing(raw, response as never);
    } catch (error) {
      fastify.log.error({ err: error }, 'wsgate: routing an upgrade request failed');
      raw.socket.destroy();
    }
  };
  const onUpgrade = (raw: IncomingMessage, socket: Duplex, head: Buffer) =>
    openAppUpgrade(gate, raw, socket, head, routing);

  /** The user's handler as the core's connection handler (the core reports what it throws, with 1011). */
  const connect =
    (handler: WebSocketHandler): ConnectionHandler<unknown> =>
    (socket, connection) => {
      const routed = (connection.request as RawRequest)[kRouted] as NonNullable<RawRequest[typeof kRouted]>;
      return handler.call(routed.instance, socket, routed.request, connection.context, connection);
    };

  /** The handler of a WebSocket route: plain requests to `http`, handshakes to the gate. */
  const webSocketRoute = (compiled: Route<unknown>, http: HttpHandler): HttpHandler =>
    function wsgateRoute(this: FastifyInstance, request, reply) {
      const upgrade = upgradeOf(request.raw);
      if (upgrade?.handshake === undefined) return http.call(this, request, reply);
      // Nothing Fastify writes from now on may reach the socket: the core answers there.
      reply.hijack();
      (request.raw as RawRequest)[kRouted] = { request, instance: this };
      if (upgrade.take()) void accept(upgrade.handshake, compiled, new FastifyView(request, reply));
      return undefined;
    };

  fastify.decorate('wsgate', gate);
  fastify.decorateRequest('websocket', {
    getter(this: FastifyRequest) {
      return upgradeOf(this.raw)?.handshake !== undefined;
    },
  });

  // Registered with the plugin, so it runs before the hooks the app adds after it.
  fastify.addHook('onRequest', function wsgateAdmit(request, reply, next) {
    const config = request.routeOptions.config as RouteConfig | undefined;
    const compiled = config?.[kRoute];
    if (compiled === undefined) {
      if (config?.[kSeen] !== true && !request.is404) warnDeclaredBefore(request);
      return next();
    }
    const handshake = upgradeOf(request.raw)?.handshake;
    if (handshake === undefined) {
      // A plain request for a WebSocket-only resource: 426 whatever the auth hooks would say.
      if (config?.[kUpgradeRequired]) upgradeRequiredReply(reply);
      else next();
      return;
    }
    const admitted = admit(handshake, compiled, new FastifyView(request, reply));
    // A refusal was written on the socket by the core: Fastify writes nothing more.
    const go = (ok: boolean) => (ok ? next() : reply.hijack());
    if (typeof admitted === 'boolean') go(admitted);
    else admitted.then(go, next);
  });

  /**
   * A WebSocket handshake on a route declared before the plugin: its `websocket` option (if it has one) was
   * never seen, so its handler runs as an HTTP handler — `(request, reply)` where it expects a socket. The
   * app still answers it as any request (a route may ignore Upgrade, RFC 9110 §7.8); the log says why.
   */
  const warned = new Set<string>();
  const warnDeclaredBefore = (request: FastifyRequest) => {
    const route = `${request.method} ${request.routeOptions.url}`;
    if (warned.has(route) || upgradeOf(request.raw)?.handshake === undefined) return;
    warned.add(route);
    const message =
      `@wsgate/fastify: a WebSocket handshake reached ${route}, a route declared before the plugin was registered: ` +
      'its `websocket` / `wsHandler` options are ignored and its handler runs as an HTTP handler. ' +
      'Register the plugin first (`await app.register(wsgate)`), then declare WebSocket routes.';
    if (logger === undefined) console.warn(message);
    else logger.warn({ method: request.method, url: request.url }, message);
  };

  fastify.addHook('onRoute', (routeOptions) => {
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
    const gateRouteOptions: WebSocketRouteOptions =
      typeof websocket === 'object' && websocket !== null ? websocket : {};
    // Compiled once, here, over the plugin's defaults: a bad option is a TypeError at definition.
    const compiled = defineRoute(gate, routeOptions.url, gateRouteOptions, connect(handler));
    const config: RouteConfig = { [kRoute]: compiled, [kUpgradeRequired]: wsHandler === undefined };
    routeOptions.config = { ...routeOptions.config, ...config };
    const http = wsHandler === undefined ? upgradeRequiredHandler : (routeOptions.handler as HttpHandler);
    routeOptions.handler = webSocketRoute(compiled, http) as RouteOptions['handler'];
  });

  fastify.addHook('preClose', async () => {
    // Fastify answers new plain requests with 503 by now; new handshakes get the gate's 503 SHUTTING_DOWN.
    await gate.close({ timeout: closeTimeout });
  });

  fastify.server.on('upgrade', onUpgrade);
  // `http2: true` in Fastify's options: extended CONNECT (RFC 8441) through the same routing, as a GET.
  // Plugins load before the server listens, so the setting is in every connection's first SETTINGS.
  if (http2 && isHttp2Server(fastify.server)) {
    serveExtendedConnect(fastify.server, (request, response) =>
      openAppConnect(gate, request, response, routing as never),
    );
  }
  done();
};

/** A plain request on a WebSocket-only route: the core's 426, through Fastify's reply. */
function upgradeRequiredReply(reply: FastifyReply): FastifyReply {
  const { status, headers, body } = upgradeRequired(reply.request.raw);
  return reply.code(status).headers(headers).send(body);
}

function upgradeRequiredHandler(this: FastifyInstance, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return upgradeRequiredReply(reply);
}

/** The plugin. Register it before the routes it should see: `await app.register(wsgate, options)`. */
export const wsgate = fp(wsgatePlugin, { fastify: '5.x', name: '@wsgate/fastify' });
