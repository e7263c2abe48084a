// The contract app on Express 4 and Express 5 (`wsgate(app)`): auth, the headers and the wait are Express
// middleware, trust proxy is Express's `trust proxy` setting.
import http from 'node:http';
import type { Connection } from '@wsgate/core';
import { wsgate } from '@wsgate/express';
import type express from 'express';
import type { WebSocket } from 'ws';
import { ANSWERED, contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS, type RoutePath } from '../app.js';
import { type ContractServer, closeServer, listen, type ServerOptions } from './kinds.js';

export async function expressServer(
  kind: string,
  createExpress: typeof express,
  options: ServerOptions,
): Promise<ContractServer> {
  const app = contractApp(options.gate);
  const web = wsgate(createExpress(), app.gateOptions);
  // Every hop trusted, as Koa's `app.proxy` and Fastify's `trustProxy: true` do.
  web.set('trust proxy', options.trustProxy);
  const auth: express.RequestHandler = (req, res, next) => {
    if (req.get('x-user')) next();
    else res.status(401).json(LOGIN_REQUIRED);
  };
  const setHeaders: express.RequestHandler = (_req, res, next) => {
    for (const [name, value] of Object.entries(MIDDLEWARE_HEADERS)) res.set(name, value);
    next();
  };
  const slow: express.RequestHandler = (_req, _res, next) => {
    app.slow().then(() => next(), next);
  };
  const answer: express.RequestHandler = (_req, res, next) => {
    res.writeHead(ANSWERED.status, ANSWERED.headers).end(ANSWERED.body);
    next();
  };
  const middleware: Partial<Record<RoutePath, express.RequestHandler[]>> = {
    '/answered': [answer],
    '/auth': [auth],
    '/headers': [setHeaders],
    '/slow': [slow],
  };
  web.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  // `app.ws(path, options, ...middleware, handler)`, its types widened: the table's paths are a union.
  const ws = web.ws as unknown as (path: string, ...args: unknown[]) => unknown;
  for (const path of ROUTE_PATHS) {
    const handler = (socket: WebSocket, _req: unknown, _context: unknown, connection: Connection<unknown>) =>
      app.report(socket, connection);
    ws(path, app.routes[path], ...(middleware[path] ?? []), handler);
  }
  const server = http.createServer(web);
  web.wsgate.attach(server);
  const port = await listen(server);
  const gate = web.wsgate.gate;
  return { kind, trustProxy: options.trustProxy, port, gate, app, close: () => closeServer(gate, server) };
}
