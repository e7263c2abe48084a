/**
 * The example chat on Hono. Everything an HTTP request meets — the session cookie, the auth middleware,
 * Hono's router — also guards the WebSocket upgrade on /chat.
 */

import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { wsgate } from '@wsgate/hono';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import { Hono } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';

type ChatEnv = { Bindings: HttpBindings; Variables: { user?: string } };

export function createChat({ host = '127.0.0.1', secret = sessionSecret() }: { host?: string; secret?: string } = {}) {
  const app = new Hono<ChatEnv>();
  const sessions = new Map<string, string>(); // session id -> user name
  const cookie = { httpOnly: true, sameSite: 'Lax', path: '/' } as const;

  // Who is logged in, for every request, the WebSocket upgrade included: hono/cookie's signed `sid`.
  app.use(async (c, next) => {
    const sid = await getSignedCookie(c, secret, 'sid');
    const user = sid ? sessions.get(sid) : undefined;
    if (user !== undefined) c.set('user', user);
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
    const sid = randomUUID();
    sessions.set(sid, name);
    await setSignedCookie(c, 'sid', sid, secret, cookie);
    return c.redirect('/', 303);
  });
  app.post('/logout', async (c) => {
    const sid = await getSignedCookie(c, secret, 'sid');
    if (sid) sessions.delete(sid);
    deleteCookie(c, 'sid', cookie);
    return c.redirect('/', 303);
  });
  // A plain GET gets 426; then Origin (same-origin) and the subprotocol (400 without chat.v2 or chat.v1);
  // then requireUser (401 without a session); then the 101.
  ws.route(
    '/chat',
    { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true },
    requireUser,
    (socket, c, { protocol, transport }) => room.join(socket, c.var.user!, protocol, transport),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  ws.route('/slow', slowRoute, (socket) => socket.close());

  return { app, ws, room, gateLog };
}
