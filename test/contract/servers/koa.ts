// The contract app on Koa 2 and Koa 3 with @koa/router (`koaGate(app)`): auth, the headers and the wait are
// Koa middleware, trust proxy is `app.proxy`.
import http from 'node:http';
import Router from '@koa/router';
import type { Connection } from '@wsgate/core';
import { koaGate } from '@wsgate/koa';
import type Koa from 'koa';
import type { WebSocket } from 'ws';
import { ANSWERED, contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS, type RoutePath } from '../app.js';
import { type ContractServer, closeServer, h2Server, listen, type ServerOptions } from './kinds.js';

export async function koaServer(kind: string, KoaClass: typeof Koa, options: ServerOptions): Promise<ContractServer> {
  const app = contractApp(options.gate);
  const web = new KoaClass();
  web.proxy = options.trustProxy;
  web.silent = true;
  const ws = koaGate(web, app.gateOptions);
  const auth: Koa.Middleware = async (ctx, next) => {
    if (!ctx.get('x-user')) {
      ctx.status = 401;
      ctx.body = LOGIN_REQUIRED;
      return;
    }
    await next();
  };
  const setHeaders: Koa.Middleware = async (ctx, next) => {
    if (ctx.path === '/headers') ctx.set(MIDDLEWARE_HEADERS);
    await next();
  };
  const slow: Koa.Middleware = async (_ctx, next) => {
    await app.slow();
    await next();
  };
  const answer: Koa.Middleware = async (ctx, next) => {
    ctx.res.writeHead(ANSWERED.status, ANSWERED.headers).end(ANSWERED.body);
    await next();
  };
  const middleware: Partial<Record<RoutePath, Koa.Middleware[]>> = {
    '/answered': [answer],
    '/auth': [auth],
    '/slow': [slow],
  };
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'ok';
  });
  for (const path of ROUTE_PATHS) {
    router.get(
      path,
      // A table of routes, so an array of middleware: the untyped form of ws.route's rest arguments.
      (ws.route as (...args: unknown[]) => Koa.Middleware)(
        app.routes[path],
        ...(middleware[path] ?? []),
        (socket: WebSocket, _ctx: unknown, connection: Connection<unknown>) => app.report(socket, connection),
      ),
    );
  }
  web.use(setHeaders);
  web.use(router.routes());
  web.on('error', (error) => app.probe.errors.push(error));
  const { server, sessions } = options.h2
    ? await h2Server(web.callback())
    : { server: http.createServer(web.callback()), sessions: undefined };
  ws.attach(server);
  const port = await listen(server);
  const close = () => closeServer(ws.gate, server, sessions);
  return { kind, trustProxy: options.trustProxy, port, gate: ws.gate, app, sessions, close };
}
