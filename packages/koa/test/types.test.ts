// Type-level tests (checked by `tsc -p packages/koa`); at run time they only build routes.
import Router, { type RouterContext, type RouterMiddleware } from '@koa/router';
import type { Connection, Rejection, Upgrade } from '@wsgate/core';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import type WebSocket from 'ws';
import { type KoaContext, koaGate, requireUpgrade, type WebSocketMiddleware } from '../src/index.js';

describe('types', () => {
  it('carries the onUpgrade context type to the handler', () => {
    const app = new Koa();
    const ws = koaGate(app);
    const middleware = ws.route(
      {
        onUpgrade: async (upgrade, ctx) => {
          expectTypeOf(upgrade).toEqualTypeOf<Upgrade>();
          expectTypeOf(ctx).toEqualTypeOf<KoaContext>();
          if (!ctx.state.user) return upgrade.reject(401);
          return { userId: 42, name: 'alice' };
        },
      },
      (socket, ctx, connection) => {
        expectTypeOf(socket).toEqualTypeOf<WebSocket>();
        expectTypeOf(ctx).toEqualTypeOf<KoaContext>();
        expectTypeOf(connection).toEqualTypeOf<Connection<{ userId: number; name: string }>>();
        expectTypeOf(connection.context.userId).toEqualTypeOf<number>();
        expectTypeOf(connection.protocol).toEqualTypeOf<string | undefined>();
      },
    );
    expectTypeOf(middleware).toEqualTypeOf<WebSocketMiddleware<KoaContext>>();
    app.use(middleware);
  });

  it('uses the app-level onUpgrade context when a route has none', () => {
    const app = new Koa();
    const ws = koaGate(app, { onUpgrade: () => ({ tenant: 'acme' }) });
    ws.route((_socket, _ctx, { context }) => {
      expectTypeOf(context).toEqualTypeOf<{ tenant: string }>();
    });
    const plain = koaGate(new Koa());
    plain.route((_socket, _ctx, { context }) => {
      expectTypeOf(context).toEqualTypeOf<undefined>();
    });
  });

  it('fits @koa/router, with a RouterContext handler when asked for one', () => {
    const app = new Koa();
    const ws = koaGate(app);
    const router = new Router<{ user?: string }>();
    const auth: RouterMiddleware<{ user?: string }> = async (ctx, next) => {
      ctx.state.user = 'alice';
      await next();
    };
    router.get(
      '/rooms/:room',
      requireUpgrade,
      auth,
      ws.route({ subprotocols: ['chat.v2'] }, (socket, ctx: RouterContext<{ user?: string }>) => {
        expectTypeOf(ctx.params).toEqualTypeOf<Record<string, string>>();
        expectTypeOf(ctx.state.user).toEqualTypeOf<string | undefined>();
        socket.send(ctx.params.room ?? '');
      }),
    );
    // Unannotated, the handler still reads ctx.params (Koa's DefaultContext allows any key).
    router.get(
      '/chat',
      ws.route((socket, ctx) => socket.send(String(ctx.params.room))),
    );
    app.use(router.routes());
  });

  it('a hook with parameters, a Koa.Middleware<State> and a RouterContext<State> handler, together (#26)', () => {
    interface State {
      user?: string;
    }
    const app = new Koa<State>();
    const ws = koaGate(app);
    const router = new Router<State>();
    const requireUser: Koa.Middleware<State> = async (ctx, next) => {
      if (!ctx.state.user) ctx.throw(401);
      await next();
    };
    router.get(
      '/rooms/:room',
      ws.route(
        { onUpgrade: (upgrade, ctx) => (ctx.state.user ? { user: ctx.state.user } : upgrade.reject(401)) },
        requireUser,
        (socket, ctx: RouterContext<State>, { context }) => {
          expectTypeOf(context).toHaveProperty('user'); // Koa's ctx.state is any, so is the user read from it
          expectTypeOf(ctx.params.room).toEqualTypeOf<string | undefined>();
          socket.send(ctx.params.room ?? '');
        },
      ),
      // The hook may annotate its ctx as the handler does.
      ws.route(
        {
          onUpgrade: (upgrade, ctx: RouterContext<State>) =>
            ctx.state.user === undefined ? upgrade.reject(401) : { user: ctx.state.user, room: ctx.params.room },
        },
        requireUser,
        (_socket, ctx: RouterContext<State>, { context }) => {
          expectTypeOf(context).toEqualTypeOf<{ user: string; room: string | undefined }>();
          expectTypeOf(ctx.state.user).toEqualTypeOf<string | undefined>();
        },
      ),
    );
    app.use(router.routes());
  });

  it('rejects a hook result that is neither a context nor a Rejection for a typed route', () => {
    const ws = koaGate(new Koa());
    ws.route<{ id: number }>(
      // @ts-expect-error: 'x' is not { id: number }
      { onUpgrade: () => 'x' },
      () => {},
    );
    ws.route<{ id: number }>({ onUpgrade: (upgrade): { id: number } | Rejection => upgrade.reject(403) }, () => {});
  });

  it('takes the context from a hook, never from the handler annotation', () => {
    const ws = koaGate(new Koa(), { onUpgrade: () => ({ tenant: 'acme' }) });
    // @ts-expect-error: no hook returns { admin: true }
    ws.route({ subprotocols: ['a'] }, (_socket, _ctx, _connection: Connection<{ admin: true }>) => {});
    // @ts-expect-error: the same without options
    ws.route((_socket, _ctx, _connection: Connection<{ admin: true }>) => {});
    ws.route({ onUpgrade: () => ({ admin: true as const }) }, (_socket, _ctx, { context }) => {
      expectTypeOf(context).toEqualTypeOf<{ admin: true }>();
    });
    // Middleware in between keeps its ctx type, however many there are.
    const pass = async (_ctx: KoaContext, next: Koa.Next) => next();
    ws.route(pass, pass, pass, pass, pass, (_socket, ctx, { context }) => {
      expectTypeOf(ctx).toEqualTypeOf<KoaContext>();
      expectTypeOf(context).toEqualTypeOf<{ tenant: string }>();
    });
  });
});
