// koa + koa-easy-ws, with the same app work: ctx.cookies.get('sid') or 401, then ctx.ws().
// koa-easy-ws has no 'upgrade' listener: Node hands upgrade requests to the normal 'request' path
// when nobody listens for 'upgrade', so the Koa middleware runs before the 101 and can answer 401.
import http from 'node:http';
import Koa from 'koa';
import websocket from 'koa-easy-ws';
import { listen } from './_harness.js';

const app = new Koa();
app.use(websocket());
app.use(async (ctx, next) => {
  if (ctx.path !== '/ws') return next();
  if (!ctx.cookies.get('sid')) {
    ctx.status = 401;
    ctx.body = { error: 'login required' };
    return;
  }
  if (!ctx.ws) {
    ctx.status = 426;
    return;
  }
  const ws = await ctx.ws();
  ws.on('error', () => {});
});

const server = http.createServer(app.callback());
await listen(server);
