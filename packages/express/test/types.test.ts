import { type Connection, reject } from '@wsgate/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ParamsDictionary } from 'express-serve-static-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { WebSocket } from 'ws';
import { wsgate } from '../src/index.js';

// Type-level checks (tsc -p tsconfig.json); the runtime part only builds the routes.
describe('types', () => {
  it('the onUpgrade context reaches the handler, with typed params', () => {
    const app = wsgate(express(), {
      onUpgrade: (upgrade) => ({ user: upgrade.signedCookies.sid ?? 'anonymous', at: 1 }),
    });
    app.ws(
      '/rooms/:room',
      (req, _res, next) => {
        expectTypeOf(req.params.room).toEqualTypeOf<string>();
        next();
      },
      (socket, req, context, connection) => {
        expectTypeOf(socket).toEqualTypeOf<WebSocket>();
        expectTypeOf(req.params.room).toEqualTypeOf<string>();
        expectTypeOf(context).toEqualTypeOf<{ user: string; at: number }>();
        // The core's connection: which protocol carried the handshake ('hixie-76' on a `legacy` route).
        expectTypeOf(connection).toEqualTypeOf<Connection<{ user: string; at: number }>>();
        expectTypeOf(connection.transport).toEqualTypeOf<'http/1.1' | 'h2' | 'hixie-76'>();
      },
    );
    // A route's own hook overrides the app's, and its type with it.
    app.ws(
      '/admin',
      { onUpgrade: (upgrade) => (upgrade.cookies.admin ? { admin: true as const } : reject.rejected(403)) },
      (_socket, _req, context) => {
        expectTypeOf(context).toEqualTypeOf<{ admin: true }>();
      },
    );
    // Options without a hook keep the app's context.
    app.ws('/chat', { subprotocols: ['chat.v2'], requireSubprotocol: true }, (_socket, _req, context) => {
      expectTypeOf(context).toEqualTypeOf<{ user: string; at: number }>();
    });
    // Chaining returns the app.
    expectTypeOf(app.ws('/a', () => {})).toEqualTypeOf(app);
    // No hook: the context is undefined.
    const plain = wsgate(express());
    plain.ws('/x', (_socket, _req, context) => {
      expectTypeOf(context).toEqualTypeOf<undefined>();
    });
    // An async hook that may reject: the context is the hook's type without the Rejection.
    interface User {
      name: string;
    }
    const lookup = async (sid: string | undefined): Promise<User | undefined> => (sid ? { name: sid } : undefined);
    const users = wsgate(express(), {
      onUpgrade: async (upgrade) => (await lookup(upgrade.signedCookies.sid)) ?? upgrade.reject(401),
    });
    users.ws('/me', (_socket, _req, user) => {
      expectTypeOf(user).toEqualTypeOf<User>();
    });
    // Routers: the route's hook type, otherwise unknown.
    const router = express.Router();
    router.ws('/r/:id', { onUpgrade: () => 42 }, (_socket, req, context) => {
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
      expectTypeOf(context).toEqualTypeOf<number>();
    });
    router.ws('/u', (_socket, _req, context) => {
      expectTypeOf(context).toEqualTypeOf<unknown>();
    });
    // Middleware typed for any route, handlers that return something, and a hook left undefined all fit.
    const requireUser = (req: Request, res: Response, next: NextFunction) =>
      req.get('x-user') ? next() : void res.sendStatus(401);
    app.ws('/typed/:id', requireUser, (socket) => socket.on('message', () => {}));
    app.ws('/maybe', { onUpgrade: undefined, handshakeTimeout: 1000 }, (_socket, _req, context) => {
      expectTypeOf(context).toEqualTypeOf<{ user: string; at: number }>();
    });
    app.ws(/^\/re/, (_socket, req) => {
      expectTypeOf(req.params).toEqualTypeOf<ParamsDictionary>();
    });
    // The context comes from a hook, never from the handler's annotation.
    // @ts-expect-error no hook returns { admin: true }
    app.ws('/lie', { subprotocols: ['a'] }, (_socket, _req, _context: { admin: true }) => {});
    // @ts-expect-error the same with a middleware first
    app.ws('/lie2', requireUser, (_socket, _req, _context: { admin: true }) => {});
    // Any number of middleware, each typed with the route's params.
    const pass = (_req: Request<{ id: string }>, _res: Response, next: NextFunction) => next();
    app.ws('/many/:id', { maxPayload: 1 }, pass, pass, pass, pass, pass, (_socket, req, context) => {
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
      expectTypeOf(context).toEqualTypeOf<{ user: string; at: number }>();
    });
    app.ws(
      ['/x1', /^\/x2/],
      (_req, _res, next) => next(),
      (_socket, req) => {
        expectTypeOf(req.params).toEqualTypeOf<ParamsDictionary>();
      },
    );
    // @ts-expect-error the last argument must be a WebSocket handler, not options
    expect(() => app.ws('/bad', () => {}, {})).toThrow(TypeError);
  });
});
