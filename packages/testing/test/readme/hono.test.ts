// chat.test.ts — a Hono app's WebSocket route, tested through the app: no serve(), no port.
import { wsgate } from '@wsgate/hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { afterEach, expect, it } from 'vitest';
import { closeAll, connect, expectHandshake, nextMessage, sendJson } from '../../src/index.js';

// Your app, as src/app.ts would build it: the kit needs the app and its gate, `{ app, ws }`.
function buildApp() {
  const app = new Hono<{ Variables: { user: string } }>();
  const ws = wsgate(app);
  ws.route(
    '/chat',
    { subprotocols: ['chat.v2'] },
    async (c, next) => {
      const user = getCookie(c, 'user');
      if (!user) return c.json({ error: 'login required' }, 401);
      c.set('user', user);
      await next();
    },
    (socket, c) => {
      socket.send(JSON.stringify({ type: 'welcome', user: c.var.user }));
      socket.on('message', (data) => socket.send(String(data)));
    },
  );
  return { app, ws };
}

afterEach(closeAll);

it('a logged-in user is welcomed, and heard', async () => {
  const socket = await connect(buildApp(), '/chat', { cookies: { user: 'ada' }, protocols: ['chat.v2'] });
  expect(socket.protocol).toBe('chat.v2');
  expect(await nextMessage(socket)).toEqual({ type: 'welcome', user: 'ada' });
  await sendJson(socket, { text: 'hi' });
  expect(await nextMessage(socket)).toEqual({ text: 'hi' });
});

it('no session: the middleware’s 401; another origin: 403 before the route’s middleware', async () => {
  const chat = buildApp();
  await expectHandshake(chat, '/chat').toBeRefused(401, { error: 'login required' });
  await expectHandshake(chat, '/chat').withCookie('user', 'ada').withOrigin('https://evil.example').toBeRefused(403);
});
