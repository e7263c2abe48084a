// The servers the soak runs against: each starts on 127.0.0.1:0 with the same app work — an accepted
// route (/soak) that needs the cookie `sid=ok`, checked by the framework's own middleware or hook (core:
// the onUpgrade hook), a 401 JSON without it, a slow route (/slow: 20 ms of async middleware, then the same
// check) for aborts, and a per-IP quota whose counts must return to zero.
//
// Each `start()` resolves with { port, cookie, pending(), quotaHeld(), connections(), close() }; close()
// must leave no handle open, so that the soak process exits on its own.
import http from 'node:http';
import cookie from '@fastify/cookie';
import Router from '@koa/router';
import { createGate, MemoryLeaseStore, quotaPerIp } from '@wsgate/core';
import { wsgate as expressGate } from '@wsgate/express';
import { wsgate as fastifyGate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import cookieParser from 'cookie-parser';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

const slowly = () => new Promise((resolve) => setTimeout(resolve, 20));
const LOGIN_REQUIRED = { error: 'login required' };
const QUOTA = 10_000;

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/** Closes the gate (1001 to open sockets), then the server once its last connection is gone. */
async function closeAll(gate, server) {
  await gate.close({ timeout: 1_000 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

export const servers = [
  {
    name: 'core',
    async start() {
      const store = new MemoryLeaseStore();
      const server = http.createServer();
      const gate = createGate({ quotas: [quotaPerIp(QUOTA, { store })] });
      const auth = (up) => (up.cookies.sid === 'ok' ? { user: 'soak' } : up.reject(401, LOGIN_REQUIRED));
      gate.route('/soak', { onUpgrade: auth }, () => {});
      gate.route(
        '/slow',
        {
          onUpgrade: async (up) => {
            await slowly();
            return auth(up);
          },
        },
        () => {},
      );
      gate.attach(server);
      const port = await listen(server);
      return {
        port,
        cookie: 'sid=ok',
        pending: () => gate.pending,
        quotaHeld: () => store.held(),
        connections: () => gate.connections.size,
        close: () => closeAll(gate, server),
      };
    },
  },
  {
    name: 'express',
    async start() {
      const store = new MemoryLeaseStore();
      const app = expressGate(express(), { quotas: [quotaPerIp(QUOTA, { store })] });
      app.use(cookieParser());
      const auth = (req, res, next) => {
        if (req.cookies.sid === 'ok') next();
        else res.status(401).json(LOGIN_REQUIRED);
      };
      app.ws('/soak', auth, () => {});
      app.ws(
        '/slow',
        (_req, _res, next) => {
          slowly().then(() => next(), next);
        },
        auth,
        () => {},
      );
      const server = http.createServer(app);
      app.wsgate.attach(server);
      const port = await listen(server);
      const gate = app.wsgate.gate;
      return {
        port,
        cookie: 'sid=ok',
        pending: () => gate.pending,
        quotaHeld: () => store.held(),
        connections: () => gate.connections.size,
        close: () => closeAll(app.wsgate, server),
      };
    },
  },
  {
    name: 'koa',
    async start() {
      const store = new MemoryLeaseStore();
      const app = new Koa();
      const ws = koaGate(app, { quotas: [quotaPerIp(QUOTA, { store })] });
      const auth = async (ctx, next) => {
        if (ctx.cookies.get('sid') !== 'ok') {
          ctx.status = 401;
          ctx.body = LOGIN_REQUIRED;
          return;
        }
        await next();
      };
      const router = new Router();
      router.get(
        '/soak',
        ws.route(auth, () => {}),
      );
      router.get(
        '/slow',
        ws.route(
          async (_ctx, next) => {
            await slowly();
            await next();
          },
          auth,
          () => {},
        ),
      );
      app.use(router.routes());
      const server = http.createServer(app.callback());
      ws.attach(server);
      const port = await listen(server);
      return {
        port,
        cookie: 'sid=ok',
        pending: () => ws.gate.pending,
        quotaHeld: () => store.held(),
        connections: () => ws.gate.connections.size,
        close: () => closeAll(ws, server),
      };
    },
  },
  {
    name: 'fastify',
    async start() {
      const store = new MemoryLeaseStore();
      const app = Fastify();
      await app.register(cookie);
      await app.register(fastifyGate, { quotas: [quotaPerIp(QUOTA, { store })], closeTimeout: 1_000 });
      const auth = async (request, reply) => {
        if (request.cookies.sid !== 'ok') return reply.code(401).send(LOGIN_REQUIRED);
      };
      app.get('/soak', { websocket: true, preHandler: auth }, () => {});
      app.get('/slow', { websocket: true, preHandler: [slowly, auth] }, () => {});
      await app.listen({ port: 0, host: '127.0.0.1' });
      return {
        port: app.server.address().port,
        cookie: 'sid=ok',
        pending: () => app.wsgate.pending,
        quotaHeld: () => store.held(),
        connections: () => app.wsgate.connections.size,
        close: () => app.close(), // its preClose hook closes the gate
      };
    },
  },
];
