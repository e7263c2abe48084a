// chat.test.ts — a Koa app's WebSocket route, tested through the app: no listen(), no port.
import Router from '@koa/router';
import { koaGate } from '@wsgate/koa';
import Koa from 'koa';
import { afterEach, expect, it } from 'vitest';
import { closeAll, connect, expectHandshake, nextMessage, sendJson } from '../../src/index.js';

// Your app, as src/app.ts would build it: the kit needs the app and its gate, `{ app, ws }`.
function buildApp() {
  const app = new Koa();
  const ws = koaGate(app);
  const router = new Router();
  const requireUser: Koa.Middleware = async (ctx, next) => {
    if (!ctx.cookies.get('user')) ctx.throw(401, 'login required');
    await next();
  };
  router.get(
    '/chat',
    ws.route({ subprotocols: ['chat.v2'] }, requireUser, (socket, ctx) => {
      socket.send(JSON.stringify({ type: 'welcome', user: ctx.cookies.get('user') }));
      socket.on('message', (data) => socket.send(String(data)));
    }),
  );
  app.use(router.routes());
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

it('no session: ctx.throw’s 401; another origin: 403 before the route’s middleware', async () => {
  const chat = buildApp();
  await expectHandshake(chat, '/chat').toBeRefused(401, 'login required');
  await expectHandshake(chat, '/chat').withCookie('user', 'ada').withOrigin('https://evil.example').toBeRefused(403);
});
