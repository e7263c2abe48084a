// Type-level checks (tsc -p tsconfig.json): what the kit accepts and what it gives back.
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { wsgate } from '@wsgate/express';
import { wsgate as fastifyWsgate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import {
  connect,
  createTestClient,
  type HandshakeResult,
  handshake,
  nextMessage,
  type TestClient,
  type TestSocket,
  type TestTarget,
} from '../src/index.js';

describe('types', () => {
  it('every adapter’s app is a target; an app without its gate is not', () => {
    const expressApp = wsgate(express(), { onUpgrade: () => ({ user: 'ada' }) });
    const koaApp = new Koa();
    const fastifyApp = Fastify();
    void fastifyApp.register(fastifyWsgate);
    const server = createServer();
    createGate().attach(server);
    expectTypeOf(expressApp).toMatchTypeOf<TestTarget>();
    expectTypeOf({ app: koaApp, ws: koaGate(koaApp) }).toMatchTypeOf<TestTarget>();
    expectTypeOf(fastifyApp).toMatchTypeOf<TestTarget>();
    expectTypeOf(server).toMatchTypeOf<TestTarget>();
    // @ts-expect-error an Express app without wsgate(app) has no WebSocket side to test
    void connect(express(), '/chat').catch(() => {});
    // @ts-expect-error a Koa app alone: the kit needs its gate, { app, ws }
    void connect(koaApp, '/chat').catch(() => {});
  });

  it('what comes back', () => {
    const app = wsgate(express());
    expectTypeOf(connect).returns.resolves.toEqualTypeOf<TestSocket>();
    expectTypeOf(handshake).returns.resolves.toEqualTypeOf<HandshakeResult>();
    expectTypeOf<HandshakeResult['code']>().toMatchTypeOf<string | undefined>();
    expectTypeOf<TestSocket>().toMatchTypeOf<AsyncDisposable>();
    expectTypeOf(createTestClient(app)).toEqualTypeOf<TestClient<typeof app>>();
    // A message is `unknown` unless the test says what it expects; the predicate then sees that type.
    expectTypeOf(nextMessage).returns.resolves.toBeUnknown();
    type Welcome = { type: 'welcome'; user: string };
    expectTypeOf(nextMessage<Welcome>).returns.resolves.toEqualTypeOf<Welcome>();
    expectTypeOf(nextMessage<Welcome>)
      .parameter(1)
      .toEqualTypeOf<((message: Welcome) => boolean) | undefined>();
  });
});
