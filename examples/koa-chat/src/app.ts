/**
 * The example chat on Koa. Everything an HTTP request meets — the
 * session cookie, the auth middleware, @koa/router — also guards the WebSocket upgrade on /chat.
 */

import { randomUUID } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router, { type RouterContext, type RouterMiddleware } from '@koa/router';
import { koaGate } from '@wsgate/koa';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import Koa from 'koa';

interface State {
  user?: string;
}

export function createChat({ host = '127.0.0.1', keys }: { host?: string; keys?: string[] } = {}) {
  const app = new Koa<State>();
  // Koa signs cookies with app.keys (keygrip): `sid` travels with `sid.sig`.
  app.keys = keys ?? [sessionSecret()];

  const sessions = new Map<string, string>(); // session id -> user name
  const cookie = { signed: true, httpOnly: true, sameSite: 'lax', path: '/' } as const;

  // Who is logged in, for every request, the WebSocket upgrade included.
  const session: Koa.Middleware<State> = async (ctx, next) => {
    const sid = ctx.cookies.get('sid', { signed: true });
    const user = sid === undefined ? undefined : sessions.get(sid);
    if (user !== undefined) ctx.state.user = user;
    await next();
  };

  // The route guard: an ordinary Koa middleware, answering a real 401 before any 101.
  const requireUser: RouterMiddleware<State> = async (ctx, next) => {
    if (ctx.state.user === undefined) {
      ctx.status = 401;
      ctx.body = { error: 'login required' };
      return;
    }
    await next();
  };

  // wsgate: per-app options. Host allowlist against DNS rebinding; same-origin Origin is the default.
  const gateLog = createGateLog(); // the demo page's live log of every handshake decision
  const ws = koaGate(app, {
    hosts: exampleHosts(host),
    onEvent: (event) => {
      logHandshake(event);
      gateLog.record(event);
    },
  });
  const room = createRoom();

  const router = new Router<State>();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = ctx.state.user === undefined ? loginPage() : chatPage(ctx.state.user);
  });
  router.get('/health', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/gate-log', (ctx) => {
    ctx.respond = false; // a stream that stays open: written by the gate log, not by Koa
    gateLog.stream(ctx.req, ctx.res);
  });
  router.get('/metrics', (ctx) => {
    ctx.respond = false; // the Prometheus exporter writes the response
    serveMetrics(ctx.req, ctx.res);
  });
  router.get('/probe', (ctx) => {
    ctx.type = 'html';
    ctx.body = probePage();
  });
  router.post('/login', bodyParser({ enableTypes: ['form'] }), (ctx) => {
    const form = ctx.request.body as Record<string, unknown> | undefined;
    const name = typeof form?.name === 'string' ? form.name.trim() : '';
    if (name === '' || name.length > 32) ctx.throw(400, 'a name of 1 to 32 characters is required');
    const sid = randomUUID();
    sessions.set(sid, name);
    ctx.cookies.set('sid', sid, cookie);
    ctx.redirect('/');
    ctx.status = 303;
  });
  router.post('/logout', (ctx) => {
    const sid = ctx.cookies.get('sid', { signed: true });
    if (sid !== undefined) sessions.delete(sid);
    ctx.cookies.set('sid', null, cookie);
    ctx.redirect('/');
    ctx.status = 303;
  });
  // A plain GET gets 426; then Origin (same-origin) and the subprotocol (400 without chat.v2 or chat.v1);
  // then requireUser (401 without a session); then the 101.
  router.get(
    '/chat',
    ws.route(
      { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true },
      requireUser,
      (socket, ctx: RouterContext<State>, { protocol, transport }) =>
        room.join(socket, ctx.state.user!, protocol, transport),
    ),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  router.get(
    '/slow',
    ws.route(slowRoute, (socket) => socket.close()),
  );

  app.use(session);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, ws, room, gateLog };
}
