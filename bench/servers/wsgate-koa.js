// koa + @wsgate/koa, with the same app work as koa-easy-ws: ctx.cookies.get('sid') or 401, then the upgrade.
import http from 'node:http';
import { koaGate } from '@wsgate/koa';
import Koa from 'koa';
import { listen } from './_harness.js';

const app = new Koa();
const ws = koaGate(app, { maxPending: 4096 });
const takeUpgrade = ws.route((socket) => {
  socket.on('error', () => {});
});
app.use(async (ctx, next) => {
  if (ctx.path !== '/ws') return next();
  if (!ctx.cookies.get('sid')) {
    ctx.status = 401;
    ctx.body = { error: 'login required' };
    return;
  }
  await takeUpgrade(ctx, next);
});

const server = ws.attach(http.createServer(app.callback()));
await listen(server);
