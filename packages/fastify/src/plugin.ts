/**
 * The Fastify plugin: translation only, no policy.
 *
 *   server 'upgrade'  -> openAppUpgrade: gate.open (protocol checks, Host, shutdown, pending cap; a refusal
 *                        is written here), and a response over the socket for Fastify
 *                     -> fastify.routing(req, res): the app's own hooks (onRequest, preParsing, preValidation,
 *                        preHandler), schema validation and error handler run, and whatever they answer is a
 *                        real HTTP response; a WebSocket route is bound first (its label and deadline)
 *   WebSocket route   -> reply.hijack(), take the socket, handshake.accept(route, facts): Origin, subprotocols,
 *                        onUpgrade, quotas, 101, then the route's handler(socket, request, context)
 *   other route / 404 -> Fastify's not-found handler answers; never a 101
 *
 * Fastify's onResponse hooks and its "request completed" log then see the status the client got: the 101,
 * or the core's rejection, through a response that is finished without touching the socket.
 */

import type { IncomingMessage } from 'node:http';
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Duplex, Writable } from 'node:stream';
import {
  type AppUpgrade,
  type ConnectionHandler,
  closeAfterFlush,
  createGate,
  type HandshakeEvent,
  openAppUpgrade,
  type RequestFacts,
  type Route,
  reject,
} from '@wsgate/core';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { createInjector } from './inject.js';
import type { WebSocketHandler, WebSocketRouteOptions, WsGatePluginOptions } from './types.js';

const kUpgrade = Symbol('wsgate.upgrade');
/** In a WebSocket route's config: its compiled core route. */
const kRoute = Symbol('wsgate.route');
/** In a WebSocket-only route's config: plain requests get 426 before any of the app's hooks after ours. */
const kUpgradeRequired = Symbol('wsgate.upgradeRequired');

interface RouteConfig {
  [kRoute]?: Route<unknown>;
  [kUpgradeRequired]?: boolean;
}

/** One admitted handshake on its way through Fastify, kept on the raw request. */
interface UpgradeState {
  readonly upgrade: AppUpgrade;
  /** Set when the request reaches a WebSocket route's handler: from then on the reply is ours. */
  route: { readonly request: FastifyRequest; readonly instance: FastifyInstance; readonly took: boolean } | undefined;
  /** How the handshake ended (from the gate's events), once it has. */
  outcome: HandshakeEvent | undefined;
}

type RawRequest = IncomingMessage & { [kUpgrade]?: UpgradeState };

type HttpHandler = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

const wsgatePlugin: FastifyPluginCallback<WsGatePluginOptions> = (fastify, options, done) => {
  if (fastify.hasDecorator('wsgate')) {
    done(new Error('@wsgate/fastify is already registered on this instance'));
    return;
  }
  const { closeTimeout = DEFAULT_CLOSE_TIMEOUT_MS, onEvent, onError, ...gateOptions } = options;

  const gate = createGate({
    ...gateOptions,
    onError:
      onError ??
      ((error, request) => fastify.log.error({ err: error, method: request.method, url: request.url }, 'wsgate error')),
    onEvent(event) {
      observe(event);
      onEvent?.(event);
    },
  });

  /** Follows each handshake's outcome to keep Fastify's reply (and so onResponse and the log) truthful. */
  function observe(event: HandshakeEvent): void {
    const state = (event.request as RawRequest)[kUpgrade];
    if (state === undefined) {
      // Refused by gate.open, before routing: Fastify never saw this request, so say it here.
      if (event.outcome === 'reject') {
        fastify.log.info(
          { method: event.request.method, url: event.request.url, statusCode: event.status, code: event.code },
          'websocket handshake refused',
        );
      }
      return;
    }
    state.outcome = event;
    const { response, handshake } = state.upgrade;
    if (state.route !== undefined) {
      finishReply(state);
    } else if (event.outcome === 'reject' && response.socket === handshake.socket && !response.headersSent) {
      // The core answered (the deadline passed) while Fastify's hooks still run: whatever they answer later
      // must not reach the socket.
      response.detachSocket(handshake.socket as Socket);
    }
  }

  function onUpgrade(raw: RawRequest, socket: Duplex, head: Buffer): void {
    if (!asksForWebSocket(raw)) {
      // Another protocol (h2c…): ignored, as RFC 9110 §7.8 allows; an ordinary request on a closing connection.
      plainRequest(raw, socket);
      return;
    }
    const upgrade = openAppUpgrade(gate, raw, socket, head);
    if (upgrade === undefined) return;
    raw[kUpgrade] = { upgrade, route: undefined, outcome: undefined };
    routing(raw, upgrade.response, socket);
  }

  function plainRequest(raw: IncomingMessage, socket: Duplex): void {
    const response = new ServerResponse(raw);
    response.shouldKeepAlive = false; // an upgrade request's connection is never reused
    socket.on('error', destroyOnError);
    response.assignSocket(socket as Socket);
    response.once('finish', () => closeAfterFlush(socket));
    routing(raw, response, socket);
  }

  function routing(raw: IncomingMessage, response: ServerResponse, socket: Duplex): void {
    try {
      fastify.routing(raw, response);
    } catch (error) {
      fastify.log.error({ err: error }, 'wsgate: routing an upgrade request failed');
      socket.destroy();
    }
  }

  /** The handler of a WebSocket route: plain requests to `http`, handshakes to the gate. */
  function webSocketRoute(compiled: Route<unknown>, http: HttpHandler): HttpHandler {
    return function wsgateRoute(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const state = (request.raw as RawRequest)[kUpgrade];
      if (state === undefined) return http.call(this, request, reply);
      reply.hijack();
      // Nothing Fastify writes from now on may reach the socket: the 101 or the core's answer goes there.
      const took = state.upgrade.take();
      state.route = { request, instance: this, took };
      const { handshake } = state.upgrade;
      if (!took)
        finishReply(state); // the client went away or the deadline passed during the hooks
      else void handshake.accept(compiled, factsOf(request));
      return undefined;
    };
  }

  /** Wraps the user's handler as the core's connection handler (the core reports what it throws, with 1011). */
  function connect(handler: WebSocketHandler): ConnectionHandler<unknown> {
    return (socket, connection) => {
      const state = (connection.request as RawRequest)[kUpgrade];
      if (state?.route === undefined) {
        socket.terminate(); // not reachable: only wsgateRoute accepts
        return;
      }
      const { request, instance } = state.route;
      return handler.call(instance, socket, request, connection.context);
    };
  }

  fastify.decorate('wsgate', gate);
  fastify.decorate('injectWebSocket', createInjector(fastify));
  fastify.decorateRequest('websocket', {
    getter(this: FastifyRequest) {
      return (this.raw as RawRequest)[kUpgrade] !== undefined;
    },
  });

  // Registered with the plugin, so it runs before the hooks the app adds after it.
  fastify.addHook('onRequest', function wsgateAdmit(this: FastifyInstance, request, reply, next) {
    const config = request.routeOptions.config as RouteConfig | undefined;
    const compiled = config?.[kRoute];
    if (compiled === undefined) return next();
    const state = (request.raw as RawRequest)[kUpgrade];
    if (state === undefined) {
      // A plain request for a WebSocket-only resource: 426 whatever the auth hooks would say.
      if (config?.[kUpgradeRequired]) upgradeRequired(reply);
      else next();
      return;
    }
    // Routed: Origin, fetch metadata and subprotocols before the route's hooks (its auth), as DESIGN.md
    // orders them; events carry the route's path and its own deadline applies from here on.
    state.upgrade.handshake.admit(compiled, factsOf(request)).then((admitted) => {
      if (admitted) return next();
      // The core answered on the socket: Fastify writes nothing more, and its reply ends with that status.
      reply.hijack();
      state.route = { request, instance: this, took: false };
      finishReply(state);
    }, next);
  });

  fastify.addHook('onRoute', (routeOptions) => {
    const { websocket, wsHandler } = routeOptions;
    const methods = ([] as string[]).concat(routeOptions.method);
    if (!websocket && wsHandler === undefined) {
      // Not a WebSocket route: a handshake here gets Fastify's 404, after the route's own hooks.
      if (methods.includes('GET')) routeOptions.handler = notFoundForUpgrades(routeOptions.handler as HttpHandler);
      return;
    }
    if (methods.some((method) => method !== 'GET' && method !== 'HEAD')) {
      throw new Error(`@wsgate/fastify: WebSocket route ${routeOptions.url} must be GET, not ${methods.join(', ')}`);
    }
    const handler = (wsHandler ?? routeOptions.handler) as WebSocketHandler;
    if (typeof handler !== 'function')
      throw new TypeError(`@wsgate/fastify: ${routeOptions.url} has no WebSocket handler`);
    const gateRouteOptions: WebSocketRouteOptions =
      typeof websocket === 'object' && websocket !== null ? websocket : {};
    // Compiled once, here, over the plugin's defaults.
    const compiled = gate.defineRoute(routeOptions.url, gateRouteOptions, connect(handler)) as Route<unknown>;
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
  done();
};

/**
 * Makes the Fastify reply of a hijacked handshake reflect its outcome: ended with the status the client
 * got (101 or the rejection's) into a sink, so that onResponse hooks and the request log run; destroyed
 * when the client went away.
 */
function finishReply(state: UpgradeState): void {
  const { outcome } = state;
  const { response, handshake } = state.upgrade;
  if (outcome === undefined || response.writableEnded || response.destroyed) return;
  if (outcome.outcome === 'abort') {
    response.destroy();
    return;
  }
  const end = () => {
    if (response.socket !== null) response.detachSocket(response.socket as Socket);
    response.assignSocket(new Discard() as unknown as Socket);
    response.statusCode = outcome.status ?? 500;
    response.end();
  };
  // A response the route never took still ends its socket when it finishes: let the core's answer flush first.
  const socket = handshake.socket;
  if (state.route?.took === false && !socket.destroyed) socket.once('close', end);
  else end();
}

/** A socket-shaped sink for a response whose bytes the client never sees. */
class Discard extends Writable {
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}

function notFoundForUpgrades(handler: HttpHandler): HttpHandler {
  return function wsgateNotFound(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    if ((request.raw as RawRequest)[kUpgrade] === undefined) return handler.call(this, request, reply);
    reply.callNotFound();
    return undefined;
  };
}

/**
 * A plain request on a WebSocket-only route: the core's 426 with `Upgrade: websocket` (RFC 9110 §15.5.22),
 * on a connection that stays open, so Connection carries the "upgrade" option Upgrade requires (§7.8).
 */
function upgradeRequired(reply: FastifyReply): FastifyReply {
  const { status, headers, body } = reject.notAnUpgrade;
  return reply
    .code(status)
    .headers({ connection: 'upgrade', ...(headers as Record<string, string | number>) })
    .type('text/plain; charset=utf-8')
    .send(body);
}

function upgradeRequiredHandler(this: FastifyInstance, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return upgradeRequired(reply);
}

/** What Fastify knows better than the raw request: scheme and host (trustProxy applied), its cookies. */
function factsOf(request: FastifyRequest): RequestFacts {
  // secure and host are read only when the core needs them (an Origin to check): trustProxy is not free.
  const facts: RequestFacts = {
    get secure() {
      return request.protocol === 'https';
    },
    get host() {
      return request.host;
    },
  };
  const withCookies = request as FastifyRequest & {
    cookies?: Record<string, string | undefined> | null;
    unsignCookie?: (value: string) => { valid: boolean; value: string | null };
  };
  const cookies = withCookies.cookies;
  if (cookies === undefined || cookies === null) return facts;
  facts.cookies = cookies;
  const unsign = withCookies.unsignCookie;
  if (typeof unsign === 'function') {
    let signed: Record<string, string | undefined> | undefined;
    // @fastify/cookie's own signature format; computed only if the onUpgrade hook looks.
    Object.defineProperty(facts, 'signedCookies', {
      enumerable: true,
      get() {
        signed ??= verifiedCookies(cookies, (value) => unsign.call(request, value));
        return signed;
      },
    });
  }
  return facts;
}

function verifiedCookies(
  cookies: Record<string, string | undefined>,
  unsign: (value: string) => { valid: boolean; value: string | null },
): Record<string, string | undefined> {
  const out = Object.create(null) as Record<string, string | undefined>;
  for (const [name, raw] of Object.entries(cookies)) {
    if (raw === undefined) continue;
    try {
      const result = unsign(raw);
      if (result.valid && result.value !== null) out[name] = result.value;
    } catch {
      // not in the signer's format
    }
  }
  return out;
}

/** Whether the Upgrade header names websocket (RFC 9110 §7.8: a comma-separated list of protocols). */
function asksForWebSocket(request: IncomingMessage): boolean {
  const upgrade = request.headers.upgrade;
  if (upgrade === undefined) return false;
  return upgrade.split(',').some((protocol) => protocol.trim().toLowerCase().split('/')[0] === 'websocket');
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** The plugin. Register it before the routes it should see: `await app.register(wsgate, options)`. */
export const wsgate = fp(wsgatePlugin, { fastify: '5.x', name: '@wsgate/fastify' });
