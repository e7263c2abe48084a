/**
 * The example chat on Hono. Everything an HTTP request meets — the session, the auth middleware, Hono's
 * router — also guards the WebSocket upgrade on /chat. Sessions live on the server (chat-page/sessions, keyed by
 * the id in a signed hono/cookie cookie); each chat socket belongs to its user and session (the route's `keys`),
 * so logging out destroys the session and closes that session's sockets in every tab (`gate.revoke`), and a
 * replayed cookie finds no session (401).
 */

import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { wsgate } from '@wsgate/hono';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { createSessionStore, SESSION_SECONDS } from 'chat-page/sessions';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import { Hono } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';

/** What the session middleware found: the user, and the id of their session. */
type ChatEnv = { Bindings: HttpBindings; Variables: { user?: string; session?: string } };

export function createChat({ host = '127.0.0.1', secret = sessionSecret() }: { host?: string; secret?: string } = {}) {
  const app = new Hono<ChatEnv>();
  // Hono has no standard server-side session middleware (hono/cookie is its part): the store is the examples'
  // small one, and the cookie `sid` holds only the session's id, signed (hono/cookie's HMAC with the secret).
  const sessions = createSessionStore();
  const cookie = { httpOnly: true, sameSite: 'Lax', path: '/' } as const;

  // Who is logged in, for every request, the WebSocket upgrade included.
  app.use(async (c, next) => {
    const id = (await getSignedCookie(c, secret, 'sid')) || undefined;
    const user = sessions.user(id);
    if (user !== undefined) {
      c.set('user', user);
      c.set('session', id);
    }
    await next();
  });

  // The route guard: an ordinary Hono middleware, answering a real 401 before any 101.
  const requireUser = createMiddleware<ChatEnv>(async (c, next) => {
    if (c.var.user === undefined) return c.json({ error: 'login required' }, 401);
    await next();
  });

  // wsgate: per-app options. Host allowlist against DNS rebinding; same-origin Origin is the default.
  const gateLog = createGateLog(); // the demo page's live log of every handshake decision
  const ws = wsgate(app, {
    hosts: exampleHosts(host),
    onEvent: (event) => {
      logHandshake(event);
      gateLog.record(event);
    },
  });
  const room = createRoom();

  app.get('/', (c) => c.html(c.var.user === undefined ? loginPage() : chatPage(c.var.user)));
  app.get('/health', (c) => c.text('ok'));
  app.get('/metrics', (c) => {
    serveMetrics(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  });
  app.get('/gate-log', (c) => {
    gateLog.stream(c.env.incoming, c.env.outgoing); // a stream that stays open: written by the gate log
    return RESPONSE_ALREADY_SENT;
  });
  app.get('/probe', (c) => c.html(probePage()));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.name === 'string' ? form.name.trim() : '';
    if (name === '' || name.length > 32) {
      throw new HTTPException(400, { message: 'a name of 1 to 32 characters is required' });
    }
    // A new session under a new id (no fixation); the one the request came with, if any, is destroyed.
    if (c.var.session !== undefined) sessions.destroy(c.var.session);
    const secure = new URL(c.req.url).protocol === 'https:';
    await setSignedCookie(c, 'sid', sessions.create(name), secret, { ...cookie, secure, maxAge: SESSION_SECONDS });
    return c.redirect('/', 303);
  });
  app.post('/logout', (c) => {
    const id = c.var.session;
    if (id !== undefined) {
      sessions.destroy(id); // a replayed cookie now gets 401
      ws.gate.revoke({ session: id }, { reason: 'you logged out in another tab' }); // its sockets, in every tab
    }
    deleteCookie(c, 'sid', cookie);
    return c.redirect('/', 303);
  });
  // A plain GET gets 426; then Origin (same-origin) and the subprotocol (400 without chat.v2 or chat.v1);
  // then requireUser (401 without a session); then the 101.
  ws.route(
    '/chat',
    {
      subprotocols: ['chat.v2', 'chat.v1'],
      requireSubprotocol: true,
      // After requireUser: the connection's user and session, the keys `gate.revoke` closes it by.
      onUpgrade: (_upgrade, c) => ({ user: c.var.user!, session: c.var.session! }),
      keys: ({ user, session }) => ({ user, session }),
    },
    requireUser,
    (socket, _c, { context, protocol, transport }) => room.join(socket, context.user, protocol, transport),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  ws.route('/slow', slowRoute, (socket) => socket.close());

  return { app, ws, room, gateLog };
}
