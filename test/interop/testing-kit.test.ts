// @wsgate/testing against each framework with its common rate limiter in the chain, as a user's test file
// would have it: the in-memory connection has a client IP (loopback, as supertest's TCP one), so
// express-rate-limit, koa-ratelimit and @fastify/rate-limit count it instead of answering 500.

import rateLimitPlugin from '@fastify/rate-limit';
import Router from '@koa/router';
import { wsgate } from '@wsgate/express';
import { wsgate as fastifyWsgate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import { closeAll, expectHandshake, nextMessage } from '@wsgate/testing';
import express from 'express';
import rateLimit from 'express-rate-limit';
import Fastify from 'fastify';
import Koa from 'koa';
import ratelimit from 'koa-ratelimit';
import { afterEach, describe, expect, it } from 'vitest';
import { watchStderr } from './support.js';

afterEach(closeAll);

describe('@wsgate/testing with a rate limiter in the chain', () => {
  it('Express + express-rate-limit (draft-8 headers): two handshakes open, the third is its 429', async () => {
    const stderr = watchStderr();
    try {
      const app = wsgate(express());
      const limiter = rateLimit({ windowMs: 60_000, limit: 2, standardHeaders: 'draft-8', legacyHeaders: false });
      app.ws('/chat', limiter, (socket, req) => socket.send(`hello ${req.ip}`));
      expect(await nextMessage(await expectHandshake(app, '/chat').toOpen())).toBe('hello 127.0.0.1');
      await expectHandshake(app, '/chat').toOpen();
      await expectHandshake(app, '/chat').toBeRefused(429, 'Too many requests, please try again later.');
      expect(stderr.lines).toEqual([]);
    } finally {
      stderr.restore();
    }
  });

  it('Koa + koa-ratelimit keyed on ctx.ip: two handshakes open, the third is its 429', async () => {
    const app = new Koa();
    const ws = koaGate(app);
    const router = new Router();
    router.get(
      '/chat',
      ratelimit({ driver: 'memory', db: new Map(), duration: 60_000, max: 2, id: (ctx) => ctx.ip }),
      ws.route((socket, ctx) => socket.send(`hello ${ctx.ip}`)),
    );
    app.use(router.routes());
    expect(await nextMessage(await expectHandshake({ app, ws }, '/chat').toOpen())).toBe('hello 127.0.0.1');
    await expectHandshake({ app, ws }, '/chat').toOpen();
    const third = await expectHandshake({ app, ws }, '/chat').toBeRefused(429);
    expect(third.body).toMatch(/^Rate limit exceeded, retry in/);
  });

  it('Fastify + @fastify/rate-limit (global, its default): two handshakes open, the third is its 429', async () => {
    const app = Fastify();
    await app.register(fastifyWsgate);
    await app.register(rateLimitPlugin, { max: 2, timeWindow: 60_000 });
    app.get('/chat', { websocket: true }, (socket, request) => socket.send(`hello ${request.ip}`));
    try {
      expect(await nextMessage(await expectHandshake(app, '/chat').toOpen())).toBe('hello 127.0.0.1');
      await expectHandshake(app, '/chat').toOpen();
      const third = await expectHandshake(app, '/chat').toBeRefused(429);
      expect(JSON.parse(third.body)).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    } finally {
      await app.close();
    }
  });
});
