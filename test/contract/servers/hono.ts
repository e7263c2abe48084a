// The contract app on Hono with @hono/node-server (`wsgate(app)`): auth, the headers and the wait are Hono
// middleware, trust proxy is the adapter's `trustProxy` (Hono has no setting of its own).
import { serve } from '@hono/node-server';
import type { Connection } from '@wsgate/core';
import { wsgate } from '@wsgate/hono';
import { Hono, type MiddlewareHandler } from 'hono';
import type { WebSocket } from 'ws';
import { contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS, type RoutePath } from '../app.js';
import { type ContractServer, closeServer, type ServerOptions } from './kinds.js';

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
  const middleware: Partial<Record<RoutePath, MiddlewareHandler[]>> = {
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
  const server = serve({ fetch: web.fetch, port: 0, hostname: '127.0.0.1' });
  ws.attach(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  const gate = ws.gate;
  return {
    kind: 'hono',
    trustProxy: options.trustProxy,
    port,
    gate,
    app,
    close: () => closeServer(gate, server as never),
  };
}
