// chat.test.ts — an Express app's WebSocket route, tested through the app: no listen(), no port.
import { wsgate } from '@wsgate/express';
import cookieParser from 'cookie-parser';
import express from 'express';
import { afterEach, expect, it } from 'vitest';
import { closeAll, createTestClient, expectHandshake, nextMessage, sendJson } from '../../src/index.js';

// Your app, as src/app.ts would build it.
function buildApp() {
  const app = wsgate(express());
  app.use(cookieParser('secret'), express.urlencoded({ extended: false }));
  app.post('/login', (req, res) => {
    res.cookie('sid', req.body.name, { signed: true, httpOnly: true }).sendStatus(204);
  });
  app.ws(
    '/chat',
    { subprotocols: ['chat.v2'] },
    (req, res, next) => (req.signedCookies.sid ? next() : res.status(401).json({ error: 'login required' })),
    (socket, req) => {
      socket.send(JSON.stringify({ type: 'welcome', user: req.signedCookies.sid }));
      socket.on('message', (data) => socket.send(String(data)));
    },
  );
  return app;
}

afterEach(closeAll);

it('a logged-in user is welcomed, and heard', async () => {
  const ada = createTestClient(buildApp()); // keeps the cookies the app sets, like a browser
  await ada.httpRequest('POST', '/login', { form: { name: 'ada' } });
  const socket = await ada.expectHandshake('/chat').withProtocols(['chat.v2']).toOpen({ protocol: 'chat.v2' });
  expect(await nextMessage(socket)).toEqual({ type: 'welcome', user: 'ada' });
  await sendJson(socket, { text: 'hi' });
  expect(await nextMessage(socket)).toEqual({ text: 'hi' });
});

it('no session: the middleware’s 401; another origin: 403 before any middleware', async () => {
  const app = buildApp();
  await expectHandshake(app, '/chat').toBeRefused(401, { error: 'login required' });
  await expectHandshake(app, '/chat').withOrigin('https://evil.example').toBeRefused(403);
});
