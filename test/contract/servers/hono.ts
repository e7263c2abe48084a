// The contract app on Hono with @hono/node-server (`wsgate(app)`): auth, the headers and the wait are Hono
// middleware, trust proxy is the adapter's `trustProxy` (Hono has no setting of its own).
import type http from 'node:http';
import http2 from 'node:http2';
import { createAdaptorServer, type HttpBindings } from '@hono/node-server';
import type { Connection } from '@wsgate/core';
import { wsgate } from '@wsgate/hono';
import { Hono, type MiddlewareHandler } from 'hono';
import type { WebSocket } from 'ws';
import { testCredentials } from '../../h2/cert.js';
import { ANSWERED, contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS, type RoutePath } from '../app.js';
import { type ContractServer, closeServer, listen, type ServerOptions } from './kinds.js';

// The table's apps answer with a lowercase charset (Hono's own defaults: `application/json`, `charset=UTF-8`).
const JSON_UTF8 = { 'Content-Type': 'application/json; charset=utf-8' };
const TEXT_UTF8 = { 'Content-Type': 'text/plain; charset=utf-8' };

export async function honoServer(options: ServerOptions): Promise<ContractServer> {
  const app = contractApp(options.gate);
  const web = new Hono();
  // Every hop trusted, as Koa's `app.proxy` and Fastify's `trustProxy: true` do.
  const ws = wsgate(web, { ...app.gateOptions, trustProxy: options.trustProxy });
  const auth: MiddlewareHandler = async (c, next) => {
    if (!c.req.header('x-user')) return c.json(LOGIN_REQUIRED, 401, JSON_UTF8);
    await next();
  };
  const setHeaders: MiddlewareHandler = async (c, next) => {
    for (const [name, value] of Object.entries(MIDDLEWARE_HEADERS)) c.header(name, value);
    await next();
  };
  const slow: MiddlewareHandler = async (_c, next) => {
    await app.slow();
    await next();
  };
  const answer: MiddlewareHandler<{ Bindings: HttpBindings }> = async (c, next) => {
    c.env.outgoing.writeHead(ANSWERED.status, ANSWERED.headers).end(ANSWERED.body);
    await next();
  };
  const middleware: Partial<Record<RoutePath, MiddlewareHandler[]>> = {
    '/answered': [answer as MiddlewareHandler],
    '/auth': [auth],
    '/headers': [setHeaders],
    '/slow': [slow],
  };
  web.get('/health', (c) => c.text('ok', 200, TEXT_UTF8));
  web.notFound((c) => c.text('not found', 404, TEXT_UTF8));
  // `ws.route(path, options, ...middleware, handler)`, its types widened: the table's paths are a union.
  const route = ws.route.bind(ws) as unknown as (path: string, ...args: unknown[]) => unknown;
  for (const path of ROUTE_PATHS) {
    const handler = (socket: WebSocket, _c: unknown, connection: Connection<unknown>) => app.report(socket, connection);
    route(path, app.routes[path], ...(middleware[path] ?? []), handler);
  }
  // node-server's HTTP/2: its `createServer` option, over TLS with HTTP/1.1 fallback.
  const server = options.h2
    ? (createAdaptorServer({
        fetch: web.fetch,
        createServer: http2.createSecureServer,
        serverOptions: { ...(await testCredentials()), allowHTTP1: true },
      }) as http2.Http2SecureServer)
    : (createAdaptorServer({ fetch: web.fetch }) as http.Server);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  ws.attach(server);
  const port = await listen(server);
  const gate = ws.gate;
  const close = () => closeServer(gate, server, sessions);
  return { kind: 'hono', trustProxy: options.trustProxy, port, gate, app, ...(options.h2 && { sessions }), close };
}
