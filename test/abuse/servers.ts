// The same WebSocket app on each server the abuse suite attacks: plain core (`createGate().route().attach()`),
// @wsgate/express, @wsgate/koa and @wsgate/fastify. Each serves, on an http.Server built with the options
// the test gives (Node's timeouts), 127.0.0.1 and a port of the system's choosing:
//
//   /ws      accepted; echoes
//   /auth    the framework's own middleware (core: the hook) answers 401 JSON without an `x-user` header
//   /slow    a framework middleware (core: the hook's first half) waits for `latches.middleware`, then the
//            onUpgrade hook waits for `latches.hook`; both are open unless a test holds them
//   /lazy    an onUpgrade hook that waits for `latches.hook`, then reads `upgrade.signal` for the first time
//   /hang    an onUpgrade hook that never settles, handshakeTimeout 200 ms
//   /late    a framework middleware (core: the hook) that waits for `latches.late`, then answers 401 itself;
//            handshakeTimeout 200 ms
//   /throw   an onUpgrade hook that throws synchronously
//   /reject  an onUpgrade hook whose promise rejects
//   /crlf    an onUpgrade hook that sets a header value with CR/LF on the 101
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { createGate, type Gate, type GateEvent, type HandshakeEvent, type Upgrade } from '@wsgate/core';
import { wsgate as expressGate } from '@wsgate/express';
import { wsgate as fastifyGate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import type { WebSocket } from 'ws';
import { Latch } from '../contract/app.js';

export const SECRET = 'do-not-leak-this-message';
export const EVIL_VALUE = 'a\r\nSet-Cookie: pwned=1';
/** handshakeTimeout of /hang and /late. */
export const SHORT_DEADLINE_MS = 200;

/** What the app saw, for the assertions. */
export interface Probe {
  /** Requests that reached /slow's first wait (the framework's middleware; core: the hook's start). */
  stage1: number;
  /** Requests whose /slow first wait is over (the middleware then calls next, or the hook goes on). */
  stage1Done: number;
  /** Requests that reached /slow's onUpgrade hook wait. */
  stage2: number;
  /** /slow hook calls whose wait is over. */
  stage2Done: number;
  /** /late middleware (core: hook) calls that have answered. */
  lateAnswered: number;
  /** /lazy hook calls that have started. */
  lazy: number;
  /** For each /lazy hook call, whether its signal, first read after its wait, was aborted. */
  lazyAborted: boolean[];
  /** `upgrade.signal` of every /slow and /hang hook call, in order. */
  signals: AbortSignal[];
  /** The route of every handler call. */
  handled: string[];
  /** What onError received. */
  errors: unknown[];
  events: Array<Pick<HandshakeEvent, 'outcome' | 'code' | 'status' | 'route'>>;
}

export interface TestApp {
  readonly name: string;
  readonly port: number;
  readonly server: http.Server;
  readonly gate: Gate;
  readonly probe: Probe;
  readonly latches: { middleware: Latch; hook: Latch; late: Latch };
  close(): Promise<void>;
}

export type AppFactory = (serverOptions: http.ServerOptions) => Promise<TestApp>;

const LOGIN_REQUIRED = { error: 'login required' };

/** The parts every app shares: probes, latches, gate options and the hooks. */
function common() {
  const probe: Probe = {
    stage1: 0,
    stage1Done: 0,
    stage2: 0,
    stage2Done: 0,
    lateAnswered: 0,
    lazy: 0,
    lazyAborted: [],
    signals: [],
    handled: [],
    errors: [],
    events: [],
  };
  const latches = { middleware: new Latch(), hook: new Latch(), late: new Latch() };
  const gateOptions = {
    maxPending: 2_000,
    onError: (error: unknown) => {
      probe.errors.push(error);
    },
    onEvent: (event: GateEvent) => {
      if (event.outcome === 'close') return;
      const { outcome, code, status, route } = event;
      probe.events.push({ outcome, code, status, route });
    },
  };
  const handler = (route: string) => (socket: WebSocket) => {
    probe.handled.push(route);
    socket.on('message', (data, binary) => socket.send(data, { binary }));
  };
  const hooks = {
    /** /slow's onUpgrade. */
    slow: async (upgrade: Upgrade) => {
      probe.stage2++;
      probe.signals.push(upgrade.signal);
      await latches.hook.wait();
      probe.stage2Done++;
      return { slow: true };
    },
    /** /lazy's onUpgrade: waits for `latches.hook`, and only then looks at its signal. */
    lazy: async (upgrade: Upgrade) => {
      probe.lazy++;
      await latches.hook.wait();
      probe.lazyAborted.push(upgrade.signal.aborted);
      return { lazy: true };
    },
    hang: (upgrade: Upgrade) => {
      probe.signals.push(upgrade.signal);
      return new Promise<never>(() => {});
    },
    throws: (): never => {
      throw new Error(SECRET);
    },
    rejects: () => Promise.reject(new Error(SECRET)),
    crlf: (upgrade: Upgrade) => {
      upgrade.setHeader('X-Evil', EVIL_VALUE);
      return { crlf: true };
    },
  };
  /** /slow's framework middleware. */
  const slowMiddleware = async () => {
    probe.stage1++;
    await latches.middleware.wait();
    probe.stage1Done++;
  };
  return { probe, latches, gateOptions, handler, hooks, slowMiddleware };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', 1024, () => resolve((server.address() as AddressInfo).port));
  });
}

async function closeServer(gate: { close(options: { timeout: number }): Promise<void> }, server: http.Server) {
  await gate.close({ timeout: 200 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const core: AppFactory = async (serverOptions) => {
  const { probe, latches, gateOptions, handler, hooks, slowMiddleware } = common();
  const gate = createGate(gateOptions);
  gate
    .route('/ws', {}, handler('/ws'))
    .route(
      '/auth',
      { onUpgrade: (up) => (up.request.headers['x-user'] ? { user: true } : up.reject(401, LOGIN_REQUIRED)) },
      handler('/auth'),
    )
    .route(
      '/slow',
      {
        handshakeTimeout: 30_000,
        // The hook's first half stands for the frameworks' middleware: like their chains, it goes no further
        // once the handshake is over (the client left), so that the hook proper is never reached then.
        // (The signal is read before the wait: one first read after the handshake ended would never be
        // aborted, the bug the /lazy test shows.)
        onUpgrade: async (up) => {
          const signal = up.signal;
          await slowMiddleware();
          if (signal.aborted) return up.reject(499);
          return hooks.slow(up);
        },
      },
      handler('/slow'),
    )
    .route('/lazy', { onUpgrade: hooks.lazy }, handler('/lazy'))
    .route('/hang', { handshakeTimeout: SHORT_DEADLINE_MS, onUpgrade: hooks.hang }, handler('/hang'))
    .route(
      '/late',
      {
        handshakeTimeout: SHORT_DEADLINE_MS,
        onUpgrade: async (up) => {
          await latches.late.wait();
          probe.lateAnswered++;
          return up.reject(401, LOGIN_REQUIRED);
        },
      },
      handler('/late'),
    )
    .route('/throw', { onUpgrade: hooks.throws }, handler('/throw'))
    .route('/reject', { onUpgrade: hooks.rejects }, handler('/reject'))
    .route('/crlf', { onUpgrade: hooks.crlf }, handler('/crlf'));
  const server = http.createServer(serverOptions, (request, response) => {
    if (!gate.handleRequest(request, response)) response.end('http');
  });
  gate.attach(server);
  const port = await listen(server);
  return { name: 'core', port, server, gate, probe, latches, close: () => closeServer(gate, server) };
};

const expressApp: AppFactory = async (serverOptions) => {
  const { probe, latches, gateOptions, handler, hooks, slowMiddleware } = common();
  const app = expressGate(express(), gateOptions);
  const auth: express.RequestHandler = (req, res, next) => {
    if (req.get('x-user')) next();
    else res.status(401).json(LOGIN_REQUIRED);
  };
  app.ws('/ws', handler('/ws'));
  app.ws('/auth', auth, handler('/auth'));
  app.ws(
    '/slow',
    { handshakeTimeout: 30_000, onUpgrade: hooks.slow },
    (_req, _res, next) => {
      slowMiddleware().then(() => next(), next);
    },
    handler('/slow'),
  );
  app.ws('/lazy', { onUpgrade: hooks.lazy }, handler('/lazy'));
  app.ws('/hang', { handshakeTimeout: SHORT_DEADLINE_MS, onUpgrade: hooks.hang }, handler('/hang'));
  app.ws(
    '/late',
    { handshakeTimeout: SHORT_DEADLINE_MS },
    (_req, res) => {
      void latches.late.wait().then(() => {
        res.status(401).json(LOGIN_REQUIRED);
        probe.lateAnswered++;
      });
    },
    handler('/late'),
  );
  app.ws('/throw', { onUpgrade: hooks.throws }, handler('/throw'));
  app.ws('/reject', { onUpgrade: hooks.rejects }, handler('/reject'));
  app.ws('/crlf', { onUpgrade: hooks.crlf }, handler('/crlf'));
  const server = http.createServer(serverOptions, app);
  app.wsgate.attach(server);
  const port = await listen(server);
  const gate = app.wsgate.gate;
  return { name: 'express', port, server, gate, probe, latches, close: () => closeServer(app.wsgate, server) };
};

const koaApp: AppFactory = async (serverOptions) => {
  const { probe, latches, gateOptions, handler, hooks, slowMiddleware } = common();
  const app = new Koa();
  const ws = koaGate(app, gateOptions);
  const auth: Koa.Middleware = async (ctx, next) => {
    if (!ctx.get('x-user')) {
      ctx.status = 401;
      ctx.body = LOGIN_REQUIRED;
      return;
    }
    await next();
  };
  const wrap = (route: string) => {
    const h = handler(route);
    return (socket: WebSocket) => h(socket);
  };
  const router = new Router();
  router.get('/ws', ws.route(wrap('/ws')));
  router.get('/auth', ws.route(auth, wrap('/auth')));
  router.get(
    '/slow',
    ws.route(
      { handshakeTimeout: 30_000, onUpgrade: hooks.slow },
      async (_ctx, next) => {
        await slowMiddleware();
        await next();
      },
      wrap('/slow'),
    ),
  );
  router.get('/lazy', ws.route({ onUpgrade: hooks.lazy }, wrap('/lazy')));
  router.get('/hang', ws.route({ handshakeTimeout: SHORT_DEADLINE_MS, onUpgrade: hooks.hang }, wrap('/hang')));
  router.get(
    '/late',
    ws.route(
      { handshakeTimeout: SHORT_DEADLINE_MS },
      async (ctx) => {
        await latches.late.wait();
        ctx.status = 401;
        ctx.body = LOGIN_REQUIRED;
        probe.lateAnswered++;
      },
      wrap('/late'),
    ),
  );
  router.get('/throw', ws.route({ onUpgrade: hooks.throws }, wrap('/throw')));
  router.get('/reject', ws.route({ onUpgrade: hooks.rejects }, wrap('/reject')));
  router.get('/crlf', ws.route({ onUpgrade: hooks.crlf }, wrap('/crlf')));
  app.use(router.routes());
  // Koa's own error reporting (for what does not go through onError) must not be silent either.
  app.on('error', (error) => probe.errors.push(error));
  const server = http.createServer(serverOptions, app.callback());
  ws.attach(server);
  const port = await listen(server);
  return { name: 'koa', port, server, gate: ws.gate, probe, latches, close: () => closeServer(ws, server) };
};

const fastifyApp: AppFactory = async (serverOptions) => {
  const { probe, latches, gateOptions, handler, hooks, slowMiddleware } = common();
  let server: http.Server | undefined;
  const app = Fastify({
    serverFactory: (handle) => {
      server = http.createServer(serverOptions, handle);
      return server;
    },
  });
  await app.register(fastifyGate, { ...gateOptions, closeTimeout: 200 });
  const wrap = (route: string) => {
    const h = handler(route);
    return (socket: WebSocket) => h(socket);
  };
  app.get('/ws', { websocket: true }, wrap('/ws'));
  app.get(
    '/auth',
    {
      websocket: true,
      preHandler: async (request, reply) => {
        if (!request.headers['x-user']) return reply.code(401).send(LOGIN_REQUIRED);
      },
    },
    wrap('/auth'),
  );
  app.get(
    '/slow',
    { websocket: { handshakeTimeout: 30_000, onUpgrade: hooks.slow }, preHandler: slowMiddleware },
    wrap('/slow'),
  );
  app.get('/lazy', { websocket: { onUpgrade: hooks.lazy } }, wrap('/lazy'));
  app.get('/hang', { websocket: { handshakeTimeout: SHORT_DEADLINE_MS, onUpgrade: hooks.hang } }, wrap('/hang'));
  app.get(
    '/late',
    {
      websocket: { handshakeTimeout: SHORT_DEADLINE_MS },
      preHandler: async (_request, reply) => {
        await latches.late.wait();
        probe.lateAnswered++;
        return reply.code(401).send(LOGIN_REQUIRED);
      },
    },
    wrap('/late'),
  );
  app.get('/throw', { websocket: { onUpgrade: hooks.throws } }, wrap('/throw'));
  app.get('/reject', { websocket: { onUpgrade: hooks.rejects } }, wrap('/reject'));
  app.get('/crlf', { websocket: { onUpgrade: hooks.crlf } }, wrap('/crlf'));
  await app.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  if (server === undefined || app.server !== server) throw new Error('fastify did not use the server factory');
  const port = (server.address() as AddressInfo).port;
  return { name: 'fastify', port, server, gate: app.wsgate, probe, latches, close: () => app.close() };
};

export const factories: Array<[string, AppFactory]> = [
  ['core', core],
  ['express', expressApp],
  ['koa', koaApp],
  ['fastify', fastifyApp],
];
