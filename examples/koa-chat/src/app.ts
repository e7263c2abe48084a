/**
 * The example chat on Koa. Everything an HTTP request meets — the session (koa-session, its data in a
 * server-side store), the auth middleware, @koa/router — also guards the WebSocket upgrade on /chat.
 * Each chat socket belongs to its user and session (the route's `keys`): logging out destroys the session and
 * closes that session's sockets in every tab (`gate.revoke`), and a replayed cookie finds no session (401).
 */

import { bodyParser } from '@koa/bodyparser';
import Router, { type RouterContext, type RouterMiddleware } from '@koa/router';
import { koaGate } from '@wsgate/koa';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import Koa from 'koa';
import session from 'koa-session';
import { createSessionStore } from './session-store.js';

/** What requireUser found: the user, and the id of the session in the store. */
interface State {
  user?: string;
  session?: string;
}

/** koa-session's `ctx.session`, with what this app keeps in it (koa-session declares no type for it). */
interface ChatSession {
  user?: string;
  readonly externalKey?: string;
  regenerate(): Promise<void>;
}
declare module 'koa' {
  interface DefaultContext {
    session: ChatSession | null;
  }
}

export function createChat({ host = '127.0.0.1', keys }: { host?: string; keys?: string[] } = {}) {
  const app = new Koa<State>();
  // Koa signs cookies with app.keys (keygrip): `sid` travels with `sid.sig`.
  app.keys = keys ?? [sessionSecret()];

  // The session, for every request, the WebSocket upgrade included: koa-session with an external store, so
  // the cookie `sid` (with `sid.sig`) holds only the session's id. A handshake only reads the session: nothing
  // changes in it, so nothing is saved or set then.
  const store = createSessionStore();
  const sessions = session({ key: 'sid', store, httpOnly: true, sameSite: 'lax', signed: true }, app);

  // The route guard: an ordinary Koa middleware, answering a real 401 before any 101. It reads the session
  // into ctx.state on the way in: the route's hook (which runs once Koa's chain has unwound) takes it from there.
  const requireUser: RouterMiddleware<State> = async (ctx, next) => {
    const user = ctx.session?.user;
    if (user === undefined) {
      ctx.status = 401;
      ctx.body = { error: 'login required' };
      return;
    }
    ctx.state.user = user;
    ctx.state.session = ctx.session?.externalKey;
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
    const user = ctx.session?.user;
    ctx.type = 'html';
    ctx.body = user === undefined ? loginPage() : chatPage(user);
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
  router.post('/login', bodyParser({ enableTypes: ['form'] }), async (ctx) => {
    const form = ctx.request.body as Record<string, unknown> | undefined;
    const name = typeof form?.name === 'string' ? form.name.trim() : '';
    if (name === '' || name.length > 32) ctx.throw(400, 'a name of 1 to 32 characters is required');
    // The user in the session, under a new session id (no fixation): the old id is destroyed in the store.
    ctx.session!.user = name;
    await ctx.session!.regenerate();
    ctx.redirect('/');
    ctx.status = 303;
  });
  router.post('/logout', async (ctx) => {
    const id = ctx.session?.externalKey;
    // Out of the store first, so that nothing can reconnect with the cookie once its sockets are closed;
    // `ctx.session = null` then has koa-session expire the cookie (and destroy the id again, a no-op).
    if (id !== undefined) await store.destroy(id);
    ctx.session = null;
    // Now the session's open sockets, in every tab.
    if (id !== undefined) ws.gate.revoke({ session: id }, { reason: 'you logged out in another tab' });
    ctx.redirect('/');
    ctx.status = 303;
  });
  // A plain GET gets 426; then Origin (same-origin) and the subprotocol (400 without chat.v2 or chat.v1);
  // then requireUser (401 without a session); then the 101.
  router.get(
    '/chat',
    ws.route(
      {
        subprotocols: ['chat.v2', 'chat.v1'],
        requireSubprotocol: true,
        // After requireUser: the connection's user and session, the keys `gate.revoke` closes it by.
        onUpgrade: (_upgrade, ctx: RouterContext<State>) => ({ user: ctx.state.user!, session: ctx.state.session! }),
        keys: ({ user, session }) => ({ user, session }),
      },
      requireUser,
      (socket, _ctx, { context, protocol, transport }) => room.join(socket, context.user, protocol, transport),
    ),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  router.get(
    '/slow',
    ws.route(slowRoute, (socket) => socket.close()),
  );

  app.use(sessions);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, ws, room, gateLog };
}
