// The same draft-76 app on each server: plain core (`createGate().route().attach()`), @wsgate/express,
// @wsgate/koa and @wsgate/fastify, each on 127.0.0.1 and a port of the system's choosing, with the gate's
// secure defaults (same-origin, loopback Host names). Routes:
//
//   /legacy        legacy: ['hixie-76']; the hook makes the context from the `user` cookie; the handler
//                  greets with `${connection.transport} ${hook's user} ${framework's user}` (the framework's
//                  own cookie parsing), then echoes `echo: ${text}` and closes on `bye`; maxPayload 64,
//                  handshakeTimeout 300 ms
//   /legacy-auth   legacy; the framework's own middleware (core: the hook) answers 401 JSON without `x-user`
//   /legacy-stall  legacy; a framework middleware (core: the hook) that never goes on; handshakeTimeout 200 ms
//   /legacy-quota  legacy; quotaPerRoute(1)
//   /modern        no `legacy`: a draft-76 client gets 426 UNSUPPORTED_VERSION
//   /demo          legacy; Origin http://example.com, subprotocol 'sample': the draft's worked example (§1.3)
//
// The Host allowlist is loopback names with any port, and example.com (for /demo).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import Router from '@koa/router';
import { allowHosts, type Connection, createGate, type Gate, quotaPerRoute, type Upgrade } from '@wsgate/core';
import { wsgate as expressGate } from '@wsgate/express';
import { wsgate as fastifyGate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import cookieParser from 'cookie-parser';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import Koa from 'koa';
import Koa2 from 'koa2';
import type { WebSocket } from 'ws';

export const DEADLINE_MS = 300;
export const STALL_DEADLINE_MS = 200;
export const MAX_PAYLOAD = 64;
export const LOGIN_REQUIRED = { error: 'login required' };

/** What a handler saw: the route, `connection.transport`, and the close code its socket reported. */
export interface Handled {
  route: string;
  transport: string;
  closeCode?: number;
}

export interface LegacyApp {
  readonly name: string;
  readonly port: number;
  readonly gate: Gate;
  readonly handled: Handled[];
  /** What onError received: nothing, in every test. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

export type LegacyAppFactory = () => Promise<LegacyApp>;

type Context = { user: string };

const legacy = ['hixie-76'] as const;

/** The hook every /legacy route shares: the context from the cookie, as the app's framework parsed it. */
const userHook = (upgrade: Upgrade): Context => ({ user: upgrade.cookies.user ?? 'anonymous' });

function common() {
  const handled: Handled[] = [];
  const errors: unknown[] = [];
  /** The handler: greets, echoes, and records what it saw. */
  const handler =
    (route: string) =>
    (socket: WebSocket, connection: Connection<unknown>, frameworkUser: string | undefined = undefined) => {
      const record: Handled = { route, transport: connection.transport };
      handled.push(record);
      const context = connection.context as Context | undefined;
      socket.send(`${connection.transport} ${context?.user} ${frameworkUser}`);
      socket.on('message', (text) => {
        if (String(text) === 'bye') socket.close();
        else socket.send(`echo: ${String(text)}`);
      });
      socket.on('close', (code) => {
        record.closeCode = code;
      });
    };
  const gateOptions = {
    hosts: allowHosts(['127.0.0.1:*', 'localhost:*', 'example.com']),
    onError: (error: unknown) => errors.push(error),
  };
  return { handled, errors, handler, gateOptions };
}

const routeOptions = {
  legacy,
  onUpgrade: userHook,
  maxPayload: MAX_PAYLOAD,
  handshakeTimeout: DEADLINE_MS,
};
/** §1.3's example: `ws://example.com/demo`, from http://example.com, protocol "sample". */
const demoOptions = { legacy, origin: ['http://example.com'], subprotocols: ['sample'] };

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function closeServer(gate: { close(options: { timeout: number }): Promise<void> }, server: http.Server) {
  await gate.close({ timeout: 200 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const core: LegacyAppFactory = async () => {
  const { handled, errors, handler, gateOptions } = common();
  const gate = createGate(gateOptions);
  gate
    .route('/legacy', routeOptions, (socket, connection) => handler('/legacy')(socket, connection, 'n/a'))
    .route(
      '/legacy-auth',
      { legacy, onUpgrade: (up) => (up.request.headers['x-user'] ? {} : up.reject(401, LOGIN_REQUIRED)) },
      handler('/legacy-auth'),
    )
    .route(
      '/legacy-stall',
      { legacy, handshakeTimeout: STALL_DEADLINE_MS, onUpgrade: () => new Promise<never>(() => {}) },
      handler('/legacy-stall'),
    )
    .route('/legacy-quota', { legacy, quotas: [quotaPerRoute(1)] }, handler('/legacy-quota'))
    .route('/modern', {}, handler('/modern'))
    .route('/demo', demoOptions, handler('/demo'));
  const server = http.createServer((request, response) => {
    if (!gate.handleRequest(request, response)) response.end('http');
  });
  gate.attach(server);
  const port = await listen(server);
  return { name: 'core', port, gate, handled, errors, close: () => closeServer(gate, server) };
};

const expressApp =
  (name: string, createApp: typeof express): LegacyAppFactory =>
  async () => {
    const { handled, errors, handler, gateOptions } = common();
    const app = expressGate(createApp(), gateOptions);
    // Headers the app's middleware set ride on the 101: without X-Powered-By, /demo's is the draft's, byte for byte.
    app.disable('x-powered-by');
    app.use(cookieParser());
    const auth: express.RequestHandler = (req, res, next) => {
      if (req.get('x-user')) next();
      else res.status(401).json(LOGIN_REQUIRED);
    };
    app.ws('/legacy', routeOptions, (socket, req, _context, connection) =>
      handler('/legacy')(socket, connection, req.cookies.user),
    );
    app.ws('/legacy-auth', { legacy }, auth, (socket, _req, _context, connection) =>
      handler('/legacy-auth')(socket, connection),
    );
    app.ws(
      '/legacy-stall',
      { legacy, handshakeTimeout: STALL_DEADLINE_MS },
      () => {},
      (socket, _req, _context, connection) => handler('/legacy-stall')(socket, connection),
    );
    app.ws('/legacy-quota', { legacy, quotas: [quotaPerRoute(1)] }, (socket, _req, _context, connection) =>
      handler('/legacy-quota')(socket, connection),
    );
    app.ws('/modern', (socket, _req, _context, connection) => handler('/modern')(socket, connection));
    app.ws('/demo', demoOptions, (socket, _req, _context, connection) => handler('/demo')(socket, connection));
    const server = http.createServer(app);
    app.wsgate.attach(server);
    const port = await listen(server);
    return { name, port, gate: app.wsgate.gate, handled, errors, close: () => closeServer(app.wsgate, server) };
  };

const koaApp =
  (name: string, KoaApp: typeof Koa): LegacyAppFactory =>
  async () => {
    const { handled, errors, handler, gateOptions } = common();
    const app = new KoaApp();
    const ws = koaGate(app, gateOptions);
    const auth: Koa.Middleware = async (ctx, next) => {
      if (!ctx.get('x-user')) {
        ctx.status = 401;
        ctx.body = LOGIN_REQUIRED;
        return;
      }
      await next();
    };
    const router = new Router();
    router.get(
      '/legacy',
      ws.route(routeOptions, (socket, ctx, connection) =>
        handler('/legacy')(socket, connection, ctx.cookies.get('user')),
      ),
    );
    router.get(
      '/legacy-auth',
      ws.route({ legacy }, auth, (socket, _ctx, connection) => handler('/legacy-auth')(socket, connection)),
    );
    router.get(
      '/legacy-stall',
      ws.route(
        { legacy, handshakeTimeout: STALL_DEADLINE_MS },
        () => new Promise<void>(() => {}),
        (socket, _ctx, connection) => handler('/legacy-stall')(socket, connection),
      ),
    );
    router.get(
      '/legacy-quota',
      ws.route({ legacy, quotas: [quotaPerRoute(1)] }, (socket, _ctx, connection) =>
        handler('/legacy-quota')(socket, connection),
      ),
    );
    router.get(
      '/modern',
      ws.route((socket, _ctx, connection) => handler('/modern')(socket, connection)),
    );
    router.get(
      '/demo',
      ws.route(demoOptions, (socket, _ctx, connection) => handler('/demo')(socket, connection)),
    );
    app.use(router.routes());
    app.on('error', (error) => errors.push(error));
    const server = http.createServer(app.callback());
    ws.attach(server);
    const port = await listen(server);
    return { name, port, gate: ws.gate, handled, errors, close: () => closeServer(ws, server) };
  };

const fastifyApp: LegacyAppFactory = async () => {
  const { handled, errors, handler, gateOptions } = common();
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifyGate, { ...gateOptions, closeTimeout: 200 });
  app.get('/legacy', { websocket: routeOptions }, (socket, request, _context, connection) =>
    handler('/legacy')(socket, connection, request.cookies.user),
  );
  app.get(
    '/legacy-auth',
    {
      websocket: { legacy },
      preHandler: async (request, reply) => {
        if (!request.headers['x-user']) return reply.code(401).send(LOGIN_REQUIRED);
      },
    },
    (socket, _request, _context, connection) => handler('/legacy-auth')(socket, connection),
  );
  app.get(
    '/legacy-stall',
    { websocket: { legacy, handshakeTimeout: STALL_DEADLINE_MS }, preHandler: () => new Promise<void>(() => {}) },
    (socket, _request, _context, connection) => handler('/legacy-stall')(socket, connection),
  );
  app.get(
    '/legacy-quota',
    { websocket: { legacy, quotas: [quotaPerRoute(1)] } },
    (socket, _request, _context, connection) => handler('/legacy-quota')(socket, connection),
  );
  app.get('/modern', { websocket: true }, (socket, _request, _context, connection) =>
    handler('/modern')(socket, connection),
  );
  app.get('/demo', { websocket: demoOptions }, (socket, _request, _context, connection) =>
    handler('/demo')(socket, connection),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return { name: 'fastify', port, gate: app.wsgate, handled, errors, close: () => app.close() };
};

export const factories: Array<[string, LegacyAppFactory]> = [
  ['core', core],
  ['express 5', expressApp('express 5', express)],
  ['express 4', expressApp('express 4', express4 as unknown as typeof express)],
  ['koa 3', koaApp('koa 3', Koa)],
  ['koa 2', koaApp('koa 2', Koa2)],
  ['fastify', fastifyApp],
];
