// Fastify's own request lifecycle runs before the 101: hooks at every level, schemas, the error handler,
// the router's 404, and onResponse / logging with the status the client got.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import {
  ACCEPT,
  cleanup,
  clientTextFrame,
  closed,
  eventually,
  gate,
  handshakeRequest,
  nextMessage,
  open,
  parseResponse,
  rawConnection,
  rawExchange,
  refused,
  serve,
  serverTextFrame,
} from './helpers.js';

afterEach(cleanup);

function echo(socket: WebSocket): void {
  socket.on('message', (data) => socket.send(String(data)));
}

const hookKinds = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const;
type HookKind = (typeof hookKinds)[number];

/** A hook of `kind` that answers 401 unless the request carries `?key=ok`. */
function keyHook(kind: HookKind) {
  const check = async (request: FastifyRequest, reply: FastifyReply) => {
    const { key } = request.query as { key?: string };
    if (key !== 'ok') return reply.code(401).send({ error: `no key (${kind})` });
  };
  // preParsing hooks get the payload as a third argument and must return it.
  if (kind === 'preParsing') {
    return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      await check(request, reply);
      return payload;
    };
  }
  return check;
}

describe('hooks run before the 101', () => {
  for (const kind of hookKinds) {
    it(`an app-level ${kind} hook answers a real 401, or lets the handshake through`, async () => {
      let calls = 0;
      const { url, origin } = await serve((app) => {
        app.addHook(kind, keyHook(kind) as never);
        app.get('/ws', { websocket: true }, (socket) => {
          calls++;
          echo(socket);
        });
      });
      const refusal = await refused(`${url}/ws`, { origin });
      expect(refusal.status).toBe(401);
      expect(refusal.headers['content-type']).toMatch(/^application\/json/);
      expect(refusal.headers.connection).toBe('close');
      expect(JSON.parse(refusal.body)).toEqual({ error: `no key (${kind})` });
      expect(calls).toBe(0);

      const socket = await open(`${url}/ws?key=ok`, { origin });
      socket.send('hello');
      expect(await nextMessage(socket)).toBe('hello');
      expect(calls).toBe(1);
    });

    it(`a route-level ${kind} hook answers a real 401`, async () => {
      const { url, origin } = await serve((app) => {
        app.get('/ws', { websocket: true, [kind]: keyHook(kind) as never }, echo);
      });
      expect((await refused(`${url}/ws`, { origin })).status).toBe(401);
      await open(`${url}/ws?key=ok`, { origin });
    });
  }

  it('hooks of an encapsulated plugin guard its own routes only', async () => {
    const { url, origin } = await serve(async (app) => {
      await app.register(async (child) => {
        child.addHook('preHandler', keyHook('preHandler') as never);
        child.get('/guarded', { websocket: true }, echo);
      });
      await app.register(async (sibling) => {
        sibling.get('/open', { websocket: true }, echo);
      });
    });
    expect((await refused(`${url}/guarded`, { origin })).status).toBe(401);
    await open(`${url}/guarded?key=ok`, { origin });
    await open(`${url}/open`, { origin });
  });

  it('a decoration set by a hook reaches the handler on the Fastify request', async () => {
    const { url, origin } = await serve((app) => {
      app.decorateRequest('user', null);
      app.addHook('preHandler', async (request) => {
        (request as FastifyRequest & { user: string }).user = 'ada';
      });
      app.get('/ws', { websocket: true }, (socket, request) => {
        socket.send(`${(request as FastifyRequest & { user: string }).user} ${request.websocket}`);
      });
    });
    const socket = await open(`${url}/ws`, { origin });
    expect(await nextMessage(socket)).toBe('ada true');
  });

  it('an async hook that waits holds the upgrade, then the 101 goes out', async () => {
    const held = gate();
    let reached = 0;
    const { url, origin } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: true,
          preValidation: async () => {
            reached++;
            await held.promise;
          },
        },
        (socket) => socket.send('in'),
      );
    });
    const opening = open(`${url}/ws`, { origin });
    await eventually(() => reached === 1);
    held.release();
    expect(await nextMessage(await opening)).toBe('in');
  });

  it('a hook that throws goes through setErrorHandler, app-level and route-level', async () => {
    const { url, origin } = await serve(async (app) => {
      app.setErrorHandler((error, _request, reply) => {
        reply.code(418).send({ formatted: true, message: (error as Error).message });
      });
      app.get(
        '/ws',
        {
          websocket: true,
          onRequest: async () => {
            throw new Error('app handler formats me');
          },
        },
        echo,
      );
      await app.register(async (child) => {
        child.setErrorHandler((error, _request, reply) => {
          reply
            .code(409)
            .header('x-child', 'yes')
            .send(`child: ${(error as Error).message}`);
        });
        child.get(
          '/child',
          {
            websocket: true,
            preHandler: async () => {
              throw new Error('boom');
            },
          },
          echo,
        );
      });
    });
    const refusal = await refused(`${url}/ws`, { origin });
    expect(refusal.status).toBe(418);
    expect(JSON.parse(refusal.body)).toEqual({ formatted: true, message: 'app handler formats me' });
    const child = await refused(`${url}/child`, { origin });
    expect(child.status).toBe(409);
    expect(child.headers['x-child']).toBe('yes');
    expect(child.body).toBe('child: boom');
  });

  it('an error with a statusCode thrown by a hook uses Fastify’s default error format', async () => {
    const { url, origin } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: true,
          preHandler: async () => {
            throw Object.assign(new Error('go away'), { statusCode: 403 });
          },
        },
        echo,
      );
    });
    const refusal = await refused(`${url}/ws`, { origin });
    expect(refusal.status).toBe(403);
    expect(JSON.parse(refusal.body)).toMatchObject({ statusCode: 403, message: 'go away' });
  });
});

describe('schemas', () => {
  async function schemaApp() {
    return serve((app) => {
      app.get(
        '/rooms/:id',
        {
          websocket: true,
          schema: {
            params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
            querystring: {
              type: 'object',
              properties: { name: { type: 'string', minLength: 2 } },
              required: ['name'],
            },
            headers: { type: 'object', properties: { 'x-client': { type: 'string', enum: ['web'] } } },
          },
        },
        (socket, request) => {
          const { id } = request.params as { id: number };
          const { name } = request.query as { name: string };
          socket.send(JSON.stringify({ id, name }));
        },
      );
    });
  }

  it('validates params, querystring and headers before the 101 (400 on invalid)', async () => {
    const { url, origin } = await schemaApp();
    const badParams = await refused(`${url}/rooms/abc?name=ok`, { origin });
    expect(badParams.status).toBe(400);
    expect(JSON.parse(badParams.body)).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION' });
    expect(JSON.parse(badParams.body).message).toMatch(/params/);
    const badQuery = await refused(`${url}/rooms/1?name=x`, { origin });
    expect(badQuery.status).toBe(400);
    expect(JSON.parse(badQuery.body).message).toMatch(/querystring/);
    const badHeader = await refused(`${url}/rooms/1?name=ok`, { origin, headers: { 'x-client': 'curl' } });
    expect(badHeader.status).toBe(400);
    expect(JSON.parse(badHeader.body).message).toMatch(/headers/);
  });

  it('hands the coerced, validated values to the handler', async () => {
    const { url, origin } = await schemaApp();
    const socket = await open(`${url}/rooms/7?name=ada`, { origin, headers: { 'x-client': 'web' } });
    expect(JSON.parse(await nextMessage(socket))).toEqual({ id: 7, name: 'ada' });
  });
});

describe('routing', () => {
  it('an upgrade on an unknown path gets Fastify’s 404, never a 101', async () => {
    const { url, origin, port } = await serve((app) => {
      app.get('/ws', { websocket: true }, echo);
    });
    const refusal = await refused(`${url}/nope`, { origin });
    expect(refusal.status).toBe(404);
    expect(JSON.parse(refusal.body)).toMatchObject({ statusCode: 404, message: 'Route GET:/nope not found' });
    const raw = await rawExchange(port, handshakeRequest(port, '/nope'));
    expect(raw.status).toBe(404);
    expect(raw.closedByServer).toBe(true);
  });

  it('an upgrade on an ordinary route is served as the ordinary request it is (RFC 9110 §7.8), never a 101', async () => {
    const seen: string[] = [];
    const { url, origin } = await serve((app) => {
      app.get('/health', { onRequest: async () => void seen.push('hook') }, async () => {
        seen.push('handler');
        return 'ok';
      });
    });
    const answer = await refused(`${url}/health`, { origin });
    expect(answer).toMatchObject({ status: 200, body: 'ok' });
    expect(seen).toEqual(['hook', 'handler']);
  });

  it('a custom not-found handler answers upgrades too', async () => {
    const { url, origin } = await serve((app) => {
      app.setNotFoundHandler((_request, reply) => reply.code(404).send('no such socket'));
    });
    const refusal = await refused(`${url}/x`, { origin });
    expect(refusal).toMatchObject({ status: 404, body: 'no such socket' });
  });

  it('a plain GET on a WebSocket-only route gets 426 with Upgrade; HEAD too', async () => {
    const { app } = await serve((app) => {
      app.get('/ws', { websocket: true }, echo);
    });
    const response = await app.inject({ method: 'GET', url: '/ws' });
    expect(response.statusCode).toBe(426);
    expect(response.headers.upgrade).toBe('websocket');
    expect(String(response.headers.connection).toLowerCase()).toContain('upgrade');
    expect(response.body).toBe('426 Upgrade Required: NOT_AN_UPGRADE\n');
    const head = await app.inject({ method: 'HEAD', url: '/ws' });
    expect(head.statusCode).toBe(426);
    expect(head.body).toBe('');
  });

  it('a plain GET on a WebSocket-only route gets 426 before the app’s auth hooks; an upgrade meets them', async () => {
    const { app, url, origin } = await serve((app) => {
      app.addHook('onRequest', keyHook('onRequest') as never);
      app.get('/ws', { websocket: true, preHandler: keyHook('preHandler') }, echo);
      app.get('/both', { wsHandler: echo }, async () => 'http');
    });
    expect((await app.inject('/ws')).statusCode).toBe(426);
    expect((await refused(`${url}/ws`, { origin })).status).toBe(401);
    // A route that also serves HTTP keeps its hooks for plain requests.
    expect((await app.inject('/both')).statusCode).toBe(401);
    expect((await app.inject('/both?key=ok')).body).toBe('http');
  });

  it('a route with wsHandler serves plain requests with its handler and upgrades with wsHandler', async () => {
    const { app, url, origin } = await serve((app) => {
      app.get('/both', { wsHandler: (socket) => socket.send('ws') }, async () => 'http');
    });
    expect((await app.inject('/both')).body).toBe('http');
    expect(await nextMessage(await open(`${url}/both`, { origin }))).toBe('ws');
  });

  it('fastify.route({ websocket, handler }) declares a WebSocket route, with route options', async () => {
    const { url, origin } = await serve((app) => {
      app.route({
        method: 'GET',
        url: '/r',
        websocket: { subprotocols: ['b', 'a'] },
        handler: (socket) => socket.send(socket.protocol),
      });
    });
    const socket = await open(`${url}/r`, { origin, protocols: ['a', 'b'] });
    expect(await nextMessage(socket)).toBe('b');
  });

  it('routes under a prefix and with params', async () => {
    const { url, origin } = await serve(async (app) => {
      await app.register(
        async (api) => {
          api.get('/rooms/:room', { websocket: true }, (socket, request) => {
            socket.send((request.params as { room: string }).room);
          });
        },
        { prefix: '/api' },
      );
    });
    expect(await nextMessage(await open(`${url}/api/rooms/lobby`, { origin }))).toBe('lobby');
  });

  it('refuses to declare a WebSocket route on another method', async () => {
    await expect(
      serve((app) => {
        app.post('/ws', { websocket: true }, echo);
      }),
    ).rejects.toThrow(/must be GET/);
  });

  it('an upgrade to another protocol is an ordinary request, on a connection then closed', async () => {
    const { port } = await serve((app) => {
      app.get('/health', async () => 'ok');
      app.get('/ws', { websocket: true }, echo);
    });
    const health = await rawExchange(
      port,
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`,
    );
    expect(health).toMatchObject({ status: 200, body: 'ok', closedByServer: true });
    const ws = await rawExchange(
      port,
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`,
    );
    expect(ws.status).toBe(426);
  });
});

describe('the core around Fastify', () => {
  it('the core’s protocol checks answer before any hook runs', async () => {
    let hooks = 0;
    const { port } = await serve((app) => {
      app.addHook('onRequest', async () => void hooks++);
      app.get('/ws', { websocket: true }, echo);
    });
    const badKey = await rawExchange(port, handshakeRequest(port, '/ws', { 'Sec-WebSocket-Key': 'short' }));
    expect(badKey.status).toBe(400);
    expect(badKey.body).toBe('400 Bad Request: BAD_KEY\n');
    const version = await rawExchange(port, handshakeRequest(port, '/ws', { 'Sec-WebSocket-Version': '8' }));
    expect(version.status).toBe(426);
    expect(version.headers['sec-websocket-version']).toBe('13');
    const post = await rawExchange(port, handshakeRequest(port, '/ws', {}, 'POST /ws HTTP/1.1'));
    expect(post.status).toBe(405);
    expect(hooks).toBe(0);
  });

  it('the Host policy (DNS rebinding) answers 403 before any hook', async () => {
    let hooks = 0;
    const { port } = await serve(
      (app) => {
        app.addHook('onRequest', async () => void hooks++);
        app.get('/ws', { websocket: true }, echo);
      },
      { plugin: { hosts: ['app.example:*'] } },
    );
    const response = await rawExchange(port, handshakeRequest(port, '/ws', { Host: 'evil.example' }));
    expect(response.status).toBe(403);
    expect(hooks).toBe(0);
  });

  it('the Origin policy runs at the route, after the hooks (403 cross-origin)', async () => {
    const seen: number[] = [];
    const { url, origin, app } = await serve((app) => {
      app.addHook('onResponse', async (_request, reply) => void seen.push(reply.statusCode));
      app.get('/ws', { websocket: true }, echo);
    });
    const refusal = await refused(`${url}/ws`, { origin: 'http://evil.example' });
    expect(refusal.status).toBe(403);
    expect(refusal.body).toBe('403 Forbidden: ORIGIN_FORBIDDEN\n');
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([403]);
    expect(app.wsgate.pending).toBe(0);
    await open(`${url}/ws`, { origin });
  });

  it('route options: subprotocols chosen in the server’s order, required, and per route', async () => {
    const { url, origin } = await serve(
      (app) => {
        app.get('/chat', { websocket: { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true } }, (s) =>
          s.send(s.protocol),
        );
        app.get('/default', { websocket: true }, (s) => s.send(s.protocol || 'none'));
      },
      { plugin: { subprotocols: ['x'] } },
    );
    const chat = await open(`${url}/chat`, { origin, protocols: ['chat.v1', 'chat.v2'] });
    expect(chat.protocol).toBe('chat.v2');
    expect(await nextMessage(chat)).toBe('chat.v2');
    const none = await refused(`${url}/chat`, { origin, protocols: ['other'] });
    expect(none.status).toBe(400);
    const inherited = await open(`${url}/default`, { origin, protocols: ['x'] });
    expect(await nextMessage(inherited)).toBe('x');
  });

  it('the route’s onUpgrade hook gives the handler its context, or rejects with any status', async () => {
    const { url, origin } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: {
            onUpgrade: (upgrade) => {
              const token = new URL(upgrade.request.url ?? '/', 'http://x').searchParams.get('token');
              if (token !== 'good')
                return upgrade.reject(401, { error: 'bad token' }, { 'WWW-Authenticate': 'Bearer' });
              upgrade.setHeader('x-session', 's1');
              return { user: 'ada', route: upgrade.route };
            },
          },
        },
        (socket, _request, context) => socket.send(JSON.stringify(context)),
      );
    });
    const refusal = await refused(`${url}/ws?token=bad`, { origin });
    expect(refusal.status).toBe(401);
    expect(refusal.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(refusal.body)).toEqual({ error: 'bad token' });
    const result = await open(`${url}/ws?token=good`, { origin });
    expect(JSON.parse(await nextMessage(result))).toEqual({ user: 'ada', route: '/ws' });
  });

  it('the plugin’s onUpgrade is every route’s default', async () => {
    const { url, origin } = await serve((app) => app.get('/ws', { websocket: true }, (s, _r, c) => s.send(String(c))), {
      plugin: { onUpgrade: () => 'from the plugin' },
    });
    expect(await nextMessage(await open(`${url}/ws`, { origin }))).toBe('from the plugin');
  });

  it('the handshake deadline covers Fastify’s hooks (503 HANDSHAKE_TIMEOUT), handler never called', async () => {
    const held = gate();
    let calls = 0;
    const events: string[] = [];
    const seen: number[] = [];
    const { url, origin, app } = await serve(
      (app) => {
        app.addHook('onResponse', async (_request, reply) => void seen.push(reply.statusCode));
        app.get(
          '/ws',
          {
            websocket: true,
            preHandler: async () => {
              await held.promise;
            },
          },
          () => void calls++,
        );
      },
      {
        plugin: {
          handshakeTimeout: 150,
          onEvent: (event) => event.outcome !== 'close' && events.push(`${event.outcome} ${event.code}`),
        },
      },
    );
    const refusal = await refused(`${url}/ws`, { origin });
    expect(refusal.status).toBe(503);
    expect(refusal.headers['retry-after']).toBe('1');
    expect(refusal.body).toBe('503 Service Unavailable: HANDSHAKE_TIMEOUT\n');
    held.release();
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([503]); // onResponse, once the hook let go and the route found the handshake over
    expect(app.wsgate.pending).toBe(0);
    expect(events).toEqual(['reject HANDSHAKE_TIMEOUT']);
    expect(calls).toBe(0);
  });

  it('a route’s own handshakeTimeout covers that route’s Fastify hooks', async () => {
    const held = gate();
    const events: string[] = [];
    const { url, origin } = await serve(
      (app) => {
        app.get(
          '/slow',
          {
            websocket: { handshakeTimeout: 100 },
            preHandler: async () => {
              await held.promise;
            },
          },
          echo,
        );
      },
      { plugin: { onEvent: (event) => event.outcome !== 'close' && events.push(`${event.code} ${event.route}`) } },
    );
    expect((await refused(`${url}/slow`, { origin })).status).toBe(503);
    expect(events).toEqual(['HANDSHAKE_TIMEOUT /slow']);
    held.release();
  });

  it('a route’s own deadline covers its onUpgrade hook', async () => {
    const held = gate();
    const { url, origin } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: {
            handshakeTimeout: 150,
            onUpgrade: async () => {
              await held.promise;
              return 1;
            },
          },
        },
        echo,
      );
    });
    expect((await refused(`${url}/ws`, { origin })).status).toBe(503);
    held.release();
  });

  it('route quotas apply per route', async () => {
    const { MemoryLeaseStore, quotaPerRoute } = await import('@wsgate/core');
    const { url, origin } = await serve((app) => {
      app.get('/one', { websocket: { quotas: [quotaPerRoute(1, { store: new MemoryLeaseStore() })] } }, echo);
    });
    await open(`${url}/one`, { origin });
    const second = await refused(`${url}/one`, { origin });
    expect(second.status).toBe(429);
  });
});

describe('bytes and aborts', () => {
  it('keeps the bytes that arrived with the request (head) for ws', async () => {
    const { port } = await serve((app) => {
      app.addHook('preHandler', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20)); // async, so the frame sits in `head`
      });
      app.get('/ws', { websocket: true }, echo);
    });
    const connection = rawConnection(port);
    connection.socket.write(
      Buffer.concat([
        Buffer.from(handshakeRequest(port, '/ws', { Host: `127.0.0.1:${port}` })),
        clientTextFrame('early'),
      ]),
    );
    await eventually(() => {
      const bytes = connection.received();
      const end = bytes.indexOf('\r\n\r\n');
      return end !== -1 && serverTextFrame(bytes.subarray(end + 4)) !== undefined;
    });
    const response = parseResponse(connection.received(), false);
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe(ACCEPT);
    expect(serverTextFrame(response.rest)).toBe('early');
  });

  it('a client that goes away during an async hook: the handler is never called, nothing is pending', async () => {
    const held = gate();
    let reached = 0;
    let calls = 0;
    const events: string[] = [];
    const { port, app } = await serve(
      (app) => {
        app.get(
          '/ws',
          {
            websocket: true,
            preHandler: async () => {
              reached++;
              await held.promise;
            },
          },
          () => void calls++,
        );
      },
      { plugin: { onEvent: (event) => event.outcome !== 'close' && events.push(`${event.outcome} ${event.code}`) } },
    );
    const connection = rawConnection(port);
    connection.socket.write(handshakeRequest(port, '/ws'));
    await eventually(() => reached === 1);
    expect(app.wsgate.pending).toBe(1);
    connection.socket.destroy();
    await eventually(() => events.length === 1);
    expect(events).toEqual(['abort CLIENT_GONE']);
    expect(app.wsgate.pending).toBe(0);
    held.release();
    // The lifecycle reaches the route's handler, which finds the handshake over.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(0);
    expect(app.wsgate.connections.size).toBe(0);
  });

  it('a client that goes away during onUpgrade: the handler is never called', async () => {
    const held = gate<string>();
    let calls = 0;
    let reached = 0;
    const { port, app } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: {
            onUpgrade: async (upgrade) => {
              reached++;
              const value = await held.promise;
              expect(upgrade.signal.aborted).toBe(true);
              return value;
            },
          },
        },
        () => void calls++,
      );
    });
    const connection = rawConnection(port);
    connection.socket.write(handshakeRequest(port, '/ws'));
    await eventually(() => reached === 1);
    connection.socket.destroy();
    await eventually(() => app.wsgate.pending === 0);
    held.release('late');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(0);
    expect(app.wsgate.connections.size).toBe(0);
  });

  it('a handler that throws closes the connection with 1011 and logs', async () => {
    const { url, origin, logs } = await serve(
      (app) => {
        app.get('/ws', { websocket: true }, () => {
          throw new Error('handler bug');
        });
        app.get('/async', { websocket: true }, async () => {
          throw new Error('async handler bug');
        });
      },
      { log: 'error' },
    );
    expect((await closed(await open(`${url}/ws`, { origin }))).code).toBe(1011);
    expect((await closed(await open(`${url}/async`, { origin }))).code).toBe(1011);
    expect(logs.map((line) => (line.err as { message: string } | undefined)?.message)).toEqual([
      'handler bug',
      'async handler bug',
    ]);
  });
});

describe('onResponse and logging', () => {
  it('see 101 for an accepted upgrade and the status of every refusal', async () => {
    const seen: Array<[string, number]> = [];
    const { url, origin, logs } = await serve(
      (app) => {
        app.addHook('onResponse', async (request, reply) => void seen.push([request.url, reply.statusCode]));
        app.get('/ws', { websocket: true, preHandler: keyHook('preHandler') }, echo);
        app.get('/chat', { websocket: { subprotocols: ['a'], requireSubprotocol: true } }, echo);
      },
      { log: 'info' },
    );
    const socket = await open(`${url}/ws?key=ok`, { origin });
    await refused(`${url}/ws`, { origin });
    await refused(`${url}/chat`, { origin });
    await refused(`${url}/missing`, { origin });
    await eventually(() => seen.length === 4);
    expect(seen.sort()).toEqual(
      [
        ['/ws?key=ok', 101],
        ['/ws', 401],
        ['/chat', 400],
        ['/missing', 404],
      ].sort(),
    );
    const completed = logs.filter((line) => line.msg === 'request completed');
    expect(completed.map((line) => (line.res as { statusCode: number }).statusCode).sort()).toEqual([
      101, 400, 401, 404,
    ]);
    socket.close();
  });

  it('the gate’s events name the Fastify route, also when a hook answered before the core', async () => {
    const events: string[] = [];
    const { url, origin } = await serve(
      (app) => {
        app.get('/rooms/:id', { websocket: true, preHandler: keyHook('preHandler') }, echo);
      },
      {
        plugin: {
          onEvent: (event) =>
            event.outcome !== 'close' && events.push(`${event.outcome} ${event.code} ${event.status} ${event.route}`),
        },
      },
    );
    await refused(`${url}/rooms/1`, { origin });
    await refused(`${url}/rooms/1?key=ok`, { origin: 'http://evil.example' });
    await refused(`${url}/elsewhere`, { origin });
    (await open(`${url}/rooms/1?key=ok`, { origin })).close();
    await eventually(() => events.length === 4);
    expect(events).toEqual([
      'reject REJECTED 401 /rooms/:id',
      'reject ORIGIN_FORBIDDEN 403 /rooms/:id',
      'reject REJECTED 404 undefined',
      'accept undefined 101 /rooms/:id',
    ]);
  });

  it('a refusal before routing is logged, since Fastify never sees it', async () => {
    const { port, logs } = await serve((app) => app.get('/ws', { websocket: true }, echo), { log: 'info' });
    await rawExchange(port, handshakeRequest(port, '/ws', { 'Sec-WebSocket-Key': null }));
    await eventually(() => logs.some((line) => line.msg === 'websocket handshake refused'));
    expect(logs.find((line) => line.msg === 'websocket handshake refused')).toMatchObject({
      url: '/ws',
      statusCode: 400,
      code: 'BAD_KEY',
    });
  });
});

describe('facts from Fastify', () => {
  it('@fastify/cookie: request.cookies and its signed cookies reach onUpgrade; forged ones are absent', async () => {
    const { default: cookie } = await import('@fastify/cookie');
    let signedSid = '';
    const { url, origin } = await serve(async (app) => {
      await app.register(cookie, { secret: 'fastify-secret' });
      signedSid = app.signCookie('ada');
      app.get(
        '/ws',
        {
          websocket: {
            onUpgrade: (upgrade) => ({ cookies: upgrade.cookies, signed: upgrade.signedCookies }),
          },
        },
        (socket, _request, context) => socket.send(JSON.stringify(context)),
      );
    });
    const good = await open(`${url}/ws`, {
      origin,
      headers: { cookie: `sid=${encodeURIComponent(signedSid)}; theme=dark` },
    });
    expect(JSON.parse(await nextMessage(good))).toEqual({
      cookies: { sid: signedSid, theme: 'dark' },
      signed: { sid: 'ada' },
    });
    const forged = await open(`${url}/ws`, { origin, headers: { cookie: 'sid=ada.forged' } });
    expect(JSON.parse(await nextMessage(forged)).signed).toEqual({});
  });

  it('without @fastify/cookie the core reads the Cookie header itself', async () => {
    const { url, origin } = await serve((app) => {
      app.get('/ws', { websocket: { onUpgrade: (upgrade) => upgrade.cookies } }, (socket, _request, context) =>
        socket.send(JSON.stringify(context)),
      );
    });
    const socket = await open(`${url}/ws`, { origin, headers: { cookie: 'a=1' } });
    expect(JSON.parse(await nextMessage(socket))).toEqual({ a: '1' });
  });

  it('trustProxy: the forwarded scheme and host are the origin the same-origin policy compares', async () => {
    const handler = (app: FastifyInstance) => {
      app.get('/ws', { websocket: { onUpgrade: (u) => `${u.secure} ${u.host}` } }, (s, _r, c) => s.send(String(c)));
    };
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example' };
    const hosts = ['127.0.0.1:*', 'chat.example'];
    const trusted = await serve(handler, { fastify: { trustProxy: true }, plugin: { hosts } });
    const socket = await open(`${trusted.url}/ws`, { origin: 'https://chat.example', headers: forwarded });
    expect(await nextMessage(socket)).toBe('true chat.example');

    const untrusted = await serve(handler, { plugin: { hosts } });
    expect((await refused(`${untrusted.url}/ws`, { origin: 'https://chat.example', headers: forwarded })).status).toBe(
      403,
    );
    const direct = await open(`${untrusted.url}/ws`, { origin: untrusted.origin, headers: forwarded });
    expect(await nextMessage(direct)).toBe(`false 127.0.0.1:${untrusted.port}`);
  });
});

describe('trustProxy and the Host policy', () => {
  it('a forwarded host the Host policy does not serve is refused (DNS rebinding behind a proxy)', async () => {
    const { url } = await serve((app) => app.get('/ws', { websocket: true }, echo), { fastify: { trustProxy: true } });
    const rebound = await refused(`${url}/ws`, {
      origin: 'http://evil.example',
      headers: { 'x-forwarded-host': 'evil.example' },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.headers['wsgate-code']).toBe('HOST_FORBIDDEN');
  });
});

describe('registration', () => {
  it('refuses to be registered twice on one instance', async () => {
    const { wsgate } = await import('../src/index.js');
    await expect(
      serve(async (app) => {
        await app.register(wsgate);
      }),
    ).rejects.toThrow(/already registered/);
  });

  it('works when registered inside a plugin wrapped with fastify-plugin', async () => {
    const { default: Fastify } = await import('fastify');
    const { wsgate } = await import('../src/index.js');
    const app = Fastify();
    await app.register(
      fp(async (instance) => {
        await instance.register(wsgate);
      }),
    );
    app.get('/ws', { websocket: true }, (socket) => socket.send('ok'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const client = await open(`ws://127.0.0.1:${port}/ws`);
    expect(await nextMessage(client)).toBe('ok');
    client.close();
    await app.close();
  });
});
