// hono on @hono/node-server + @hono/node-ws, with the same app work as wsgate-hono: getCookie(c, 'sid') or 401,
// then upgradeWebSocket. node-ws replays the upgrade through app.request() before ws writes the 101.
import { createAdaptorServer } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { listen } from './_harness.js';

const app = new Hono();
const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app });
app.get(
  '/ws',
  async (c, next) => {
    if (!getCookie(c, 'sid')) return c.json({ error: 'login required' }, 401);
    await next();
  },
  upgradeWebSocket(() => ({ onError: () => {} })),
);

const server = createAdaptorServer({ fetch: app.fetch });
injectWebSocket(server);
await listen(server);
