// The port-free helper: fastify.injectWebSocket connects a real ws client without listening.
import cookie from '@fastify/cookie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InjectWebSocketError } from '../src/index.js';
import { cleanup, closed, nextMessage, queue, serve } from './helpers.js';

afterEach(cleanup);

describe('fastify.injectWebSocket', () => {
  it('connects to a route without listening; a message sent on connect is not lost', async () => {
    const { app } = await serve(
      (app) => {
        app.get('/echo', { websocket: true }, (socket) => {
          socket.send('welcome');
          socket.on('message', (data) => socket.send(`echo ${data}`));
        });
      },
      { listen: false },
    );
    expect(app.server.listening).toBe(false);
    const client = await app.injectWebSocket('/echo');
    const messages: string[] = [];
    client.on('message', (data) => messages.push(String(data)));
    await new Promise((resolve) => setImmediate(resolve));
    client.send('hi');
    await new Promise<void>((resolve) => {
      const check = () => (messages.length === 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(messages).toEqual(['welcome', 'echo hi']);
    client.close();
    expect((await closed(client)).code).toBe(1005);
  });

  it('goes through hooks, cookies, subprotocols and the route’s onUpgrade like a real connection', async () => {
    const seen: number[] = [];
    const { app } = await serve(
      async (app) => {
        await app.register(cookie, { secret: 's3cret' });
        app.addHook('onResponse', async (_request, reply) => void seen.push(reply.statusCode));
        app.addHook('preHandler', async (request, reply) => {
          if (request.cookies.sid === undefined) return reply.code(401).send({ error: 'login required' });
        });
        app.get(
          '/chat',
          {
            websocket: {
              subprotocols: ['chat.v2', 'chat.v1'],
              requireSubprotocol: true,
              onUpgrade: (upgrade) => ({ user: upgrade.signedCookies.sid }),
            },
          },
          (socket, _request, context) => socket.send(JSON.stringify({ ...context, protocol: socket.protocol })),
        );
      },
      { listen: false },
    );
    const sid = encodeURIComponent(app.signCookie('ada'));
    const client = await app.injectWebSocket('/chat', {
      protocols: ['chat.v1', 'chat.v2'],
      origin: 'http://localhost',
      headers: { cookie: `sid=${sid}` },
    });
    queue(client);
    expect(client.protocol).toBe('chat.v2');
    expect(JSON.parse(await nextMessage(client))).toEqual({ user: 'ada', protocol: 'chat.v2' });
    client.close();
    expect(seen).toContain(101);
  });

  it('rejects with the refusal: status, headers and body', async () => {
    const { app } = await serve(
      (app) => {
        app.get(
          '/chat',
          {
            websocket: true,
            onRequest: async (_request, reply) =>
              reply.code(401).header('x-why', 'nope').send({ error: 'login required' }),
          },
          () => {},
        );
      },
      { listen: false },
    );
    const error = await app.injectWebSocket('/chat').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InjectWebSocketError);
    const refusal = error as InjectWebSocketError;
    expect(refusal.statusCode).toBe(401);
    expect(refusal.headers['x-why']).toBe('nope');
    expect(JSON.parse(refusal.body)).toEqual({ error: 'login required' });

    const missing = (await app.injectWebSocket('/nowhere').catch((e: unknown) => e)) as InjectWebSocketError;
    expect(missing.statusCode).toBe(404);
    const origin = (await app
      .injectWebSocket('/chat', { origin: 'http://evil.example' })
      .catch((e: unknown) => e)) as InjectWebSocketError;
    expect(origin.statusCode).toBe(403); // the route's Origin check comes before its hooks
  });

  it('the core’s checks apply: a cross-origin client is refused 403', async () => {
    const { app } = await serve((app) => app.get('/ws', { websocket: true }, () => {}), { listen: false });
    const error = (await app
      .injectWebSocket('/ws', { origin: 'http://evil.example' })
      .catch((e: unknown) => e)) as InjectWebSocketError;
    expect(error.statusCode).toBe(403);
    expect(error.body).toBe('403 Forbidden: ORIGIN_FORBIDDEN\n');
  });

  it('a client that terminates is gone on the server too, as over TCP', async () => {
    const { app } = await serve((app) => app.get('/ws', { websocket: true }, () => {}), { listen: false });
    const client = await app.injectWebSocket('/ws');
    expect(app.wsgate.connections.size).toBe(1);
    client.terminate();
    await vi.waitFor(() => expect(app.wsgate.connections.size).toBe(0));
  });

  it('app.close() closes injected connections with 1001', async () => {
    const { app } = await serve((app) => app.get('/ws', { websocket: true }, () => {}), { listen: false });
    const client = await app.injectWebSocket('/ws');
    const code = closed(client);
    await app.close();
    expect((await code).code).toBe(1001);
  });
});
