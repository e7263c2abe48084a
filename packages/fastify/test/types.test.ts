// Type tests: checked by `tsc -p tsconfig.json` (and run as no-ops by vitest).

import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { Connection, Upgrade } from '@wsgate/core';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type { WebSocket } from 'ws';
import { type Gate, wsgate } from '../src/index.js';

describe('types', () => {
  it('types the decorations', () => {
    const app = Fastify();
    expectTypeOf(app.wsgate).toEqualTypeOf<Gate>();
    // @ts-expect-error no injectWebSocket: @wsgate/testing is the one way to test without a port
    void app.injectWebSocket;
  });

  it('registers with the gate options', () => {
    const app = Fastify();
    void app.register(wsgate, { hosts: ['example.com'], subprotocols: ['a'], closeTimeout: 1000 });
    // @ts-expect-error not an option
    void app.register(wsgate, { nope: true });
  });

  it('types the socket, the request and the onUpgrade context on shorthand routes', () => {
    const app = Fastify();
    app.get(
      '/chat',
      {
        websocket: {
          subprotocols: ['chat.v2'],
          onUpgrade: async (upgrade) => {
            expectTypeOf(upgrade).toEqualTypeOf<Upgrade>();
            if (upgrade.signedCookies.sid === undefined) return upgrade.reject(401);
            return { user: upgrade.signedCookies.sid, admin: false };
          },
        },
      },
      function (socket, request, context, connection) {
        expectTypeOf(this).toEqualTypeOf<FastifyInstance>();
        expectTypeOf(socket).toEqualTypeOf<WebSocket>();
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        expectTypeOf(context).toEqualTypeOf<{ user: string; admin: boolean }>();
        // The core's connection: which protocol carried the handshake ('hixie-76' on a `legacy` route).
        expectTypeOf(connection).toEqualTypeOf<Connection<{ user: string; admin: boolean }>>();
        expectTypeOf(connection.transport).toEqualTypeOf<'http/1.1' | 'h2' | 'hixie-76'>();
      },
    );
    // Without a route hook the context is undefined.
    app.get('/plain', { websocket: true }, (socket, _request, context) => {
      expectTypeOf(socket).toEqualTypeOf<WebSocket>();
      expectTypeOf(context).toEqualTypeOf<undefined>();
    });
    // The handler inside the options object.
    app.get('/inside', {
      websocket: { onUpgrade: () => 42 },
      handler: (socket, _request, context) => {
        expectTypeOf(socket).toEqualTypeOf<WebSocket>();
        expectTypeOf(context).toEqualTypeOf<number>();
      },
    });
  });

  it('types fastify.route({ websocket })', () => {
    const app = Fastify();
    app.route({
      method: 'GET',
      url: '/r',
      websocket: { onUpgrade: () => ({ id: 1 }) },
      handler(socket, request, context) {
        expectTypeOf(socket).toEqualTypeOf<WebSocket>();
        expectTypeOf(request.raw.url).toEqualTypeOf<string | undefined>();
        expectTypeOf(context).toEqualTypeOf<{ id: number }>();
      },
    });
  });

  it('keeps ordinary routes and wsHandler routes typed as HTTP', () => {
    const app = Fastify();
    app.get('/http', async (request, reply) => {
      expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
      return reply.send('ok');
    });
    app.get(
      '/both',
      {
        wsHandler: (socket, request) => {
          expectTypeOf(socket).toEqualTypeOf<WebSocket>();
          expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        },
      },
      async (request) => {
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        return 'http';
      },
    );
    expectTypeOf(app.get('/plain', { websocket: true }, () => {})).toEqualTypeOf<FastifyInstance>();
  });

  it('keeps route generics and type providers working', () => {
    const app = Fastify();
    app.get<{ Querystring: { room: string } }>('/generic', { websocket: true }, (_socket, request) => {
      expectTypeOf(request.query.room).toEqualTypeOf<string>();
    });

    const typed = Fastify().withTypeProvider<JsonSchemaToTsProvider>();
    typed.get(
      '/rooms/:id',
      {
        websocket: { onUpgrade: () => ({ ok: true as const }) },
        schema: {
          params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
          querystring: { type: 'object', properties: { name: { type: 'string' } } },
        } as const,
      },
      (_socket, request, context) => {
        expectTypeOf(request.params.id).toEqualTypeOf<number>();
        expectTypeOf(request.query.name).toEqualTypeOf<string | undefined>();
        expectTypeOf(context).toEqualTypeOf<{ ok: true }>();
      },
    );
  });

  it('refuses an HTTP-shaped handler on a websocket route', () => {
    const app = Fastify();
    app.get('/bad', { websocket: true }, (socket) => {
      // @ts-expect-error a WebSocket has no `code`
      socket.code(200);
    });
  });
});
