// hono on @hono/node-server + @wsgate/hono, with the same app work as hono-node-ws: getCookie(c, 'sid') or
// 401, then the upgrade.
import { createAdaptorServer } from '@hono/node-server';
import { wsgate } from '@wsgate/hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { listen } from './_harness.js';

const app = new Hono();
const ws = wsgate(app, { maxPending: 4096 });
ws.route(
  '/ws',
  async (c, next) => {
    if (!getCookie(c, 'sid')) return c.json({ error: 'login required' }, 401);
    await next();
  },
  (socket) => {
    socket.on('error', () => {});
  },
);

const server = ws.attach(createAdaptorServer({ fetch: app.fetch }));
await listen(server);
