/**
 * The Fastify plugin: translation only, no policy.
 *
 *   server 'upgrade'  -> serveApp: the core's checks (a refusal is written there), then
 *                        fastify.routing(req, res) over a response on the socket: the app's hooks, schemas
 *                        and error handler run, and whatever they answer is a real HTTP response
 *   HTTP/2 'connect'  -> the same for an extended CONNECT (RFC 8441) on the stream, routed as the GET it
 *                        stands for
 *   WebSocket route   -> route.ts: admit on onRequest, the route's own hooks, accept in its handler
 *
 * The core finishes Fastify's reply with the status the client got when Fastify watches it (onResponse
 * hooks, its logger), so that they see the 101 or the refusal.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGate, type Gate } from '@wsgate/core';
import { serveApp, upgradeOf } from '@wsgate/core/adapter';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { admitOnRequest, declareWebSocketRoute, withFastifyRequest } from './route.js';
import type { WsGatePluginOptions } from './types.js';

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
      onUpgrade: gateOptions.onUpgrade && withFastifyRequest(gateOptions.onUpgrade),
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

  // Fastify's own routing, as its server's request listener runs it (its types name node:http's objects; over
  // HTTP/2 the server hands it node:http2's compat ones, as it does for every request).
  const serving = serveApp(gate, (raw, response) => {
    try {
      fastify.routing(raw as IncomingMessage, response as ServerResponse);
    } catch (error) {
      fastify.log.error({ err: error }, 'wsgate: routing an upgrade request failed');
      raw.socket.destroy();
    }
  });

  fastify.decorate('wsgate', gate);
  fastify.decorateRequest('websocket', {
    getter(this: FastifyRequest) {
      return upgradeOf(this.raw) !== undefined;
    },
  });

  /**
   * A WebSocket handshake on a route declared before the plugin: its `websocket` option (if it has one) was
   * never seen, so its handler runs as an HTTP handler — `(request, reply)` where it expects a socket. The
   * app still answers it as any request (a route may ignore Upgrade, RFC 9110 §7.8); the log says why.
   */
  const warned = new Set<string>();
  const warnDeclaredBefore = (request: FastifyRequest) => {
    const route = `${request.method} ${request.routeOptions.url}`;
    if (warned.has(route) || upgradeOf(request.raw) === undefined) return;
    warned.add(route);
    const message =
      `@wsgate/fastify: a WebSocket handshake reached ${route}, a route declared before the plugin was registered: ` +
      'its `websocket` / `wsHandler` options are ignored and its handler runs as an HTTP handler. ' +
      'Register the plugin first (`await app.register(wsgate)`), then declare WebSocket routes.';
    if (logger === undefined) console.warn(message);
    else logger.warn({ method: request.method, url: request.url }, message);
  };

  // Registered with the plugin, so that it runs before the hooks the app adds after it.
  fastify.addHook('onRequest', admitOnRequest(warnDeclaredBefore));
  fastify.addHook('onRoute', (routeOptions) => declareWebSocketRoute(gate, routeOptions));

  fastify.addHook('preClose', async () => {
    // Fastify answers new plain requests with 503 by now; new handshakes get the gate's 503 SHUTTING_DOWN.
    await gate.close({ timeout: closeTimeout });
  });

  // `http2: true` in Fastify's options: extended CONNECT (RFC 8441) through the same routing, as a GET.
  // Plugins load before the server listens, so the setting is in every connection's first SETTINGS.
  serving.attach(fastify.server, { http2 });
  done();
};

/** The plugin. Register it before the routes it should see: `await app.register(wsgate, options)`. */
export const wsgate = fp(wsgatePlugin, { fastify: '5.x', name: '@wsgate/fastify' });
