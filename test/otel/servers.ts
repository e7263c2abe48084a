// One small app per server kind for the telemetry tests, over HTTP/1.1 (node:http) and HTTP/2 (node:http2,
// TLS, allowHTTP1), each with the same WebSocket routes:
//
//   ROOM   accepted; a template where the framework has them (core: an exact path)
//   /auth  the framework's own middleware answers 401 (core: the hook)
//   /throw a hook that throws: 500 HOOK_FAILED
//   /hang  a hook that never settles, handshakeTimeout 150 ms: 503 HANDSHAKE_TIMEOUT
//   /stall a hook that never settles, handshakeTimeout 30 s: for a client that leaves
//   /rate  one handshake per hour: the second gets 429 RATE_LIMITED
//   /quota one open connection: the second gets 429 QUOTA_EXCEEDED
//   /health an ordinary HTTP route (the HTTP instrumentation's own span)
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { createGate, type Gate, quotaPerRoute, type RouteOptions, rateLimitPerKey } from '@wsgate/core';
import { wsgate as expressGate } from '@wsgate/express';
import { wsgate as fastifyGate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import type { WebSocket } from 'ws';
import { testCredentials } from '../h2/cert.js';

export type Protocol = 'http/1.1' | 'h2';

export interface TelemetryServer {
  readonly origin: string;
  readonly port: number;
  readonly gate: Gate;
  /** The accepted route's path as requested, and its template as `http.route` must name it. */
  readonly room: { readonly path: string; readonly template: string };
  close(): Promise<void>;
}

const never = new Promise<never>(() => {});

/** Each route's gate options; the /auth refusal is each framework's own middleware (the core's hook). */
function routeOptions(): Record<string, RouteOptions<unknown>> {
  return {
    room: {},
    '/throw': {
      onUpgrade: () => {
        throw new Error('the hook failed');
      },
    },
    '/hang': { handshakeTimeout: 150, onUpgrade: () => never },
    '/stall': { handshakeTimeout: 30_000, onUpgrade: () => never },
    '/rate': { rateLimits: [rateLimitPerKey(1, () => 'everyone', { per: '1h' })] },
    '/quota': { quotas: [quotaPerRoute(1)] },
  };
}

const echo = (socket: WebSocket) => socket.on('message', (data) => socket.send(String(data)));
const gateOptions = { logRejections: false, onError: () => {} };

async function listening(server: http.Server | http2.Http2SecureServer, protocol: Protocol): Promise<[string, number]> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return [`${protocol === 'h2' ? 'https://localhost' : 'http://127.0.0.1'}:${port}`, port];
}

async function nodeServer(
  protocol: Protocol,
  listener: http.RequestListener,
): Promise<http.Server | http2.Http2SecureServer> {
  if (protocol === 'http/1.1') return http.createServer(listener);
  return http2.createSecureServer({ ...(await testCredentials()), allowHTTP1: true }, listener as never);
}

async function stop(gate: Gate, server: http.Server | http2.Http2SecureServer): Promise<void> {
  await gate.close({ timeout: 100 });
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

export async function coreServer(protocol: Protocol): Promise<TelemetryServer> {
  const gate = createGate(gateOptions);
  const routes = routeOptions();
  gate.route('/room', routes.room as RouteOptions<unknown>, echo);
  gate.route('/auth', { onUpgrade: (upgrade) => upgrade.reject(401) }, echo);
  for (const path of ['/throw', '/hang', '/stall', '/rate', '/quota'])
    gate.route(path, routes[path] as RouteOptions<unknown>, echo);
  const server = await nodeServer(protocol, (request, response) => {
    if (gate.handleRequest(request, response)) return;
    response.end(request.url === '/health' ? 'ok' : 'not found');
  });
  gate.attach(server as http.Server);
  const [origin, port] = await listening(server, protocol);
  return { origin, port, gate, room: { path: '/room', template: '/room' }, close: () => stop(gate, server) };
}

export async function expressServer(protocol: Protocol): Promise<TelemetryServer> {
  if (protocol === 'h2') throw new Error('Express does not run on HTTP/2');
  const app = expressGate(express(), gateOptions);
  const routes = routeOptions();
  app.get('/health', (_req, res) => void res.send('ok'));
  app.ws('/rooms/:room', routes.room as RouteOptions<unknown>, echo);
  app.ws('/auth', (_req, res) => void res.sendStatus(401), echo);
  for (const path of ['/throw', '/hang', '/stall', '/rate', '/quota'] as const)
    app.ws(path, routes[path] as RouteOptions<unknown>, echo);
  const server = http.createServer(app);
  app.wsgate.attach(server);
  const [origin, port] = await listening(server, protocol);
  const gate = app.wsgate.gate;
  return {
    origin,
    port,
    gate,
    room: { path: '/rooms/lobby', template: '/rooms/:room' },
    close: () => stop(gate, server),
  };
}

export async function koaServer(protocol: Protocol): Promise<TelemetryServer> {
  const app = new Koa();
  app.silent = true;
  const ws = koaGate(app, gateOptions);
  const routes = routeOptions();
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/rooms/:room', ws.route(routes.room as RouteOptions<unknown>, echo));
  router.get(
    '/auth',
    (ctx) => {
      ctx.status = 401;
    },
    ws.route(echo),
  );
  for (const path of ['/throw', '/hang', '/stall', '/rate', '/quota'])
    router.get(path, ws.route(routes[path] as RouteOptions<unknown>, echo));
  app.use(router.routes());
  const server = await nodeServer(protocol, app.callback());
  ws.attach(server as http.Server);
  const [origin, port] = await listening(server, protocol);
  return {
    origin,
    port,
    gate: ws.gate,
    room: { path: '/rooms/lobby', template: '/rooms/:room' },
    close: () => stop(ws.gate, server),
  };
}

export async function fastifyServer(protocol: Protocol): Promise<TelemetryServer> {
  const app =
    protocol === 'h2'
      ? Fastify({ http2: true, https: { ...(await testCredentials()), allowHTTP1: true }, forceCloseConnections: true })
      : Fastify({ forceCloseConnections: true });
  await app.register(fastifyGate, { ...gateOptions, closeTimeout: 100 });
  const routes = routeOptions();
  app.get('/health', async () => 'ok');
  app.get('/rooms/:room', { websocket: routes.room }, echo);
  app.get('/auth', { websocket: {}, onRequest: async (_request, reply) => reply.code(401).send('') }, echo);
  for (const path of ['/throw', '/hang', '/stall', '/rate', '/quota']) app.get(path, { websocket: routes[path] }, echo);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const origin = `${protocol === 'h2' ? 'https://localhost' : 'http://127.0.0.1'}:${port}`;
  return {
    origin,
    port,
    gate: app.wsgate,
    room: { path: '/rooms/lobby', template: '/rooms/:room' },
    close: () => app.close(),
  };
}

export const kinds: ReadonlyArray<readonly [string, Protocol, (protocol: Protocol) => Promise<TelemetryServer>]> = [
  ['core', 'http/1.1', coreServer],
  ['core', 'h2', coreServer],
  ['express', 'http/1.1', expressServer],
  ['koa', 'http/1.1', koaServer],
  ['koa', 'h2', koaServer],
  ['fastify', 'http/1.1', fastifyServer],
  ['fastify', 'h2', fastifyServer],
];
