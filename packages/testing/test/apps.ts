// The same small app on every adapter, for the kit's own tests:
//   /chat  the app's auth answers 401 {"error":"login required"} without a `sid` cookie (Express, Koa and Hono
//          middleware, a Fastify preHandler, the core's onUpgrade hook); subprotocols chat.v2 > chat.v1,
//          required; the handler sends {"type":"welcome",user,protocol} with the 101 and echoes what it gets.
//   /slow  a middleware (or hook) that waits until the test releases it, then the handler counts a call.
import { createServer, type Server } from 'node:http';
import cookie from '@fastify/cookie';
import Router from '@koa/router';
import { createGate, type Gate, type GateEvent, type HandshakeEvent } from '@wsgate/core';
import { wsgate } from '@wsgate/express';
import { wsgate as fastifyWsgate } from '@wsgate/fastify';
import { wsgate as honoWsgate } from '@wsgate/hono';
import { koaGate } from '@wsgate/koa';
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import Koa from 'koa';
import type WebSocket from 'ws';
import type { TestTarget } from '../src/index.js';

export interface Fixture {
  readonly name: 'express' | 'koa' | 'hono' | 'fastify' | 'core';
  readonly target: TestTarget;
  readonly gate: Gate;
  /** Every handshake outcome the gate reported. */
  readonly events: HandshakeEvent[];
  /** Text messages the /chat handler received, in order. */
  readonly received: string[];
  /** How many times the /slow handler ran. */
  handled: number;
  readonly slow: Slow;
  close(): Promise<void>;
}

/** A middleware that waits: `entered` resolves once a request is in it; `release()` lets it go on. */
export class Slow {
  #entered!: () => void;
  #release!: () => void;
  entered: Promise<void> = new Promise((resolve) => {
    this.#entered = resolve;
  });
  readonly #released: Promise<void> = new Promise((resolve) => {
    this.#release = resolve;
  });
  async wait(): Promise<void> {
    this.#entered();
    await this.#released;
  }
  release(): void {
    this.#release();
  }
}

const PROTOCOLS = ['chat.v2', 'chat.v1'];
const LOGIN_REQUIRED = { error: 'login required' };

function chatHandler(fixture: { received: string[] }, socket: WebSocket, user: string | undefined): void {
  socket.send(JSON.stringify({ type: 'welcome', user, protocol: socket.protocol }));
  socket.on('message', (data) => {
    fixture.received.push(String(data));
    socket.send(JSON.stringify({ type: 'echo', data: String(data) }));
  });
}

function base(name: Fixture['name']) {
  const events: HandshakeEvent[] = [];
  return {
    name,
    events,
    received: [] as string[],
    handled: 0,
    slow: new Slow(),
    onEvent: (e: GateEvent) => void (e.outcome !== 'close' && events.push(e)),
  };
}

export function expressFixture(): Fixture {
  const state = base('express');
  const app = wsgate(express(), { onEvent: state.onEvent });
  app.use(cookieParser());
  const requireLogin = (req: Request, res: Response, next: NextFunction) =>
    req.cookies.sid ? next() : void res.status(401).json(LOGIN_REQUIRED);
  app.get('/health', (_req, res) => void res.type('text').send('ok'));
  app.ws('/chat', { subprotocols: PROTOCOLS, requireSubprotocol: true }, requireLogin, (socket, req) =>
    chatHandler(fixture, socket, req.cookies.sid),
  );
  app.ws(
    '/slow',
    async (_req, _res, next) => {
      await state.slow.wait();
      next();
    },
    () => {
      fixture.handled++;
    },
  );
  const fixture: Fixture = {
    ...state,
    target: app,
    gate: app.wsgate.gate,
    close: () => app.wsgate.close({ timeout: 100 }),
  };
  return fixture;
}

export function koaFixture(): Fixture {
  const state = base('koa');
  const app = new Koa();
  const ws = koaGate(app, { onEvent: state.onEvent });
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = 'ok';
  });
  const requireLogin: Koa.Middleware = async (ctx, next) => {
    if (ctx.cookies.get('sid') === undefined) {
      ctx.status = 401;
      ctx.body = LOGIN_REQUIRED;
      return;
    }
    await next();
  };
  router.get(
    '/chat',
    ws.route({ subprotocols: PROTOCOLS, requireSubprotocol: true }, requireLogin, (socket, ctx) =>
      chatHandler(fixture, socket, ctx.cookies.get('sid')),
    ),
  );
  router.get(
    '/slow',
    ws.route(
      async (_ctx, next) => {
        await state.slow.wait();
        await next();
      },
      () => {
        fixture.handled++;
      },
    ),
  );
  app.use(router.routes());
  const fixture: Fixture = { ...state, target: { app, ws }, gate: ws.gate, close: () => ws.close({ timeout: 100 }) };
  return fixture;
}

export function honoFixture(): Fixture {
  const state = base('hono');
  const app = new Hono<{ Variables: { sid: string } }>();
  const ws = honoWsgate(app, { onEvent: state.onEvent });
  app.get('/health', (c) => c.text('ok'));
  ws.route(
    '/chat',
    { subprotocols: PROTOCOLS, requireSubprotocol: true },
    async (c, next) => {
      const sid = getCookie(c, 'sid');
      if (sid === undefined) return c.json(LOGIN_REQUIRED, 401);
      c.set('sid', sid);
      await next();
    },
    (socket, c) => chatHandler(fixture, socket, c.var.sid),
  );
  ws.route(
    '/slow',
    async (_c, next) => {
      await state.slow.wait();
      await next();
    },
    () => {
      fixture.handled++;
    },
  );
  const fixture: Fixture = { ...state, target: { app, ws }, gate: ws.gate, close: () => ws.close({ timeout: 100 }) };
  return fixture;
}

export async function fastifyFixture(): Promise<Fixture> {
  const state = base('fastify');
  const app = Fastify();
  await app.register(cookie);
  await app.register(fastifyWsgate, { onEvent: state.onEvent, closeTimeout: 100 });
  app.get('/health', () => 'ok');
  app.get(
    '/chat',
    {
      websocket: { subprotocols: PROTOCOLS, requireSubprotocol: true },
      preHandler: async (request, reply) => {
        if (request.cookies.sid === undefined) return reply.code(401).send(LOGIN_REQUIRED);
      },
    },
    (socket, request) => chatHandler(fixture, socket, request.cookies.sid),
  );
  app.get('/slow', { websocket: true, preHandler: () => state.slow.wait() }, () => {
    fixture.handled++;
  });
  const fixture: Fixture = { ...state, target: app, gate: app.wsgate, close: () => app.close() };
  return fixture;
}

export function coreFixture(): Fixture {
  const state = base('core');
  const gate = createGate({ onEvent: state.onEvent });
  gate.route(
    '/chat',
    {
      subprotocols: PROTOCOLS,
      requireSubprotocol: true,
      onUpgrade: (up) => up.cookies.sid ?? up.reject(401, LOGIN_REQUIRED),
    },
    (socket, { context }) => chatHandler(fixture, socket, context),
  );
  gate.route('/slow', { onUpgrade: () => state.slow.wait() }, () => {
    fixture.handled++;
  });
  const server: Server = createServer((req, res) => {
    if (gate.handleRequest(req, res)) return;
    if (req.url === '/health') res.end('ok');
    else res.writeHead(404).end('not found');
  });
  gate.attach(server);
  const fixture: Fixture = { ...state, target: server, gate, close: () => gate.close({ timeout: 100 }) };
  return fixture;
}

/** Every adapter, built fresh for each test. */
export const fixtures: ReadonlyArray<{ name: Fixture['name']; create: () => Fixture | Promise<Fixture> }> = [
  { name: 'express', create: expressFixture },
  { name: 'koa', create: koaFixture },
  { name: 'hono', create: honoFixture },
  { name: 'fastify', create: fastifyFixture },
  { name: 'core', create: coreFixture },
];
