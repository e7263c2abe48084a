// chat.test.ts — a Fastify app's WebSocket route, tested through the app: no listen(), no port.
import cookie from '@fastify/cookie';
import { wsgate } from '@wsgate/fastify';
import Fastify from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { closeAll, connect, expectHandshake, nextMessage, sendJson } from '../../src/index.js';

// Your app, as src/app.ts would build it.
async function buildApp() {
  const app = Fastify();
  await app.register(cookie, { secret: 'secret' });
  await app.register(wsgate);
  app.get(
    '/chat',
    {
      websocket: { subprotocols: ['chat.v2'] },
      preHandler: async (request, reply) => {
        if (!request.cookies.user) return reply.code(401).send({ error: 'login required' });
      },
    },
    (socket, request) => {
      socket.send(JSON.stringify({ type: 'welcome', user: request.cookies.user }));
      socket.on('message', (data) => socket.send(String(data)));
    },
  );
  return app;
}

let app: Awaited<ReturnType<typeof buildApp>>;
beforeEach(async () => {
  app = await buildApp();
});
afterEach(async () => {
  await closeAll();
  await app.close();
});

it('a logged-in user is welcomed, and heard', async () => {
  const socket = await connect(app, '/chat', { cookies: { user: 'ada' }, protocols: ['chat.v2'] });
  expect(socket.protocol).toBe('chat.v2');
  expect(await nextMessage(socket)).toEqual({ type: 'welcome', user: 'ada' });
  await sendJson(socket, { text: 'hi' });
  expect(await nextMessage(socket)).toEqual({ text: 'hi' });
});

it('no session: the preHandler’s 401; another origin: 403 before the hook runs', async () => {
  await expectHandshake(app, '/chat').toBeRefused(401, { error: 'login required' });
  await expectHandshake(app, '/chat').withCookie('user', 'ada').withOrigin('https://evil.example').toBeRefused(403);
});
