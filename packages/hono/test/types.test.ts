// Type-level tests (checked by `tsc -p packages/hono`); at run time they only declare routes.
import type { Connection, Rejection, Upgrade } from '@wsgate/core';
import { type Context, Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type WebSocket from 'ws';
import { type HonoGate, wsgate } from '../src/index.js';

declare function upgradeReject(): Rejection;

type AppEnv = { Variables: { user: string; role: 'admin' | 'member' } };

describe('types', () => {
  it('c is the app’s Context for the route’s path: c.var from Variables, c.req.param from the pattern', () => {
    const app = new Hono<AppEnv>();
    const ws = wsgate(app);
    expectTypeOf(ws).toEqualTypeOf<HonoGate<AppEnv, undefined>>();
    ws.route('/rooms/:room', (socket, c, connection) => {
      expectTypeOf(socket).toEqualTypeOf<WebSocket>();
      expectTypeOf(c).toEqualTypeOf<Context<AppEnv, '/rooms/:room'>>();
      expectTypeOf(c.var.user).toEqualTypeOf<string>();
      expectTypeOf(c.get('role')).toEqualTypeOf<'admin' | 'member'>();
      expectTypeOf(c.req.param('room')).toEqualTypeOf<string>();
      expectTypeOf(connection).toEqualTypeOf<Connection<undefined>>();
    });
  });

  it('carries the route’s onUpgrade context to the handler, rejections excluded', () => {
    const ws = wsgate(new Hono<AppEnv>());
    ws.route(
      '/chat',
      {
        subprotocols: ['chat.v2'],
        onUpgrade: async (upgrade, c) => {
          expectTypeOf(upgrade).toEqualTypeOf<Upgrade>();
          expectTypeOf(c.var.user).toEqualTypeOf<string>();
          if (c.var.role !== 'admin') return upgrade.reject(403);
          return { joinedAt: Date.now() };
        },
      },
      (_socket, _c, { context }) => {
        expectTypeOf(context).toEqualTypeOf<{ joinedAt: number }>();
      },
    );
  });

  it('uses the app-level onUpgrade context when a route has none', () => {
    const ws = wsgate(new Hono(), { onUpgrade: () => ({ tenant: 'acme' }) });
    ws.route('/t', (_socket, _c, { context }) => {
      expectTypeOf(context).toEqualTypeOf<{ tenant: string }>();
    });
  });

  it('takes Hono middleware (createMiddleware) between the options and the handler', () => {
    const app = new Hono<AppEnv>();
    const ws = wsgate(app);
    const requireUser = createMiddleware<AppEnv>(async (c, next) => {
      if (!c.req.header('authorization')) return c.json({ error: 'login required' }, 401);
      c.set('user', 'ada');
      await next();
    });
    ws.route('/a', requireUser, (socket, c) => socket.send(c.var.user));
    ws.route('/b', { handshakeTimeout: 5_000 }, requireUser, requireUser, (socket) => socket.close());
    ws.route('/c', {}, requireUser, requireUser, requireUser, requireUser, (socket) => socket.close());
  });

  it('reports a misspelled or mistyped option on the option itself, and throws a TypeError naming it', () => {
    const ws = wsgate(new Hono());
    // @ts-expect-error subprotocols is a list of names
    expect(() => ws.route('/x', { subprotocol: ['chat'] }, (socket) => socket.close())).toThrow(/subprotocol/);
    // @ts-expect-error handshakeTimeout is a number
    expect(() => ws.route('/y', { handshakeTimeout: '5s' }, (socket) => socket.close())).toThrow(/handshakeTimeout/);
    // @ts-expect-error trustProxy is a boolean, hops, addresses or a function
    expect(() => wsgate(new Hono(), { trustProxy: { hops: 1 } })).toThrow(/trustProxy/);
    // @ts-expect-error a path starts with "/"
    expect(() => ws.route(42, (socket) => socket.close())).toThrow(TypeError);
    expectTypeOf<ReturnType<typeof upgradeReject>>().toEqualTypeOf<Rejection>();
  });
});
