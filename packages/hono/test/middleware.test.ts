// Hono's own middleware runs before the 101 and its answers are the client's, with their own status and
// body: hono/jwt, signed cookies (hono/cookie), HTTPException, cors, secure-headers, hono-rate-limiter. What
// the middleware put in `c.var` reaches the hook and the handler. Real ws clients over real sockets.

import { Hono } from 'hono';
import { getSignedCookie } from 'hono/cookie';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { jwt, sign } from 'hono/jwt';
import { secureHeaders } from 'hono/secure-headers';
import { rateLimiter } from 'hono-rate-limiter';
import { afterEach, describe, expect, it } from 'vitest';
import { accepted, cleanup, refused, serve } from './helpers.js';

afterEach(cleanup);

const SECRET = 'a test secret of enough length';

describe('hono/jwt before the 101', () => {
  async function jwtApp() {
    const app = new Hono<{ Variables: { jwtPayload: { sub: string } } }>();
    app.use('/chat', jwt({ secret: SECRET, alg: 'HS256' }));
    return serve(app, (ws) =>
      ws.route('/chat', { onUpgrade: (_upgrade, c) => ({ user: c.var.jwtPayload.sub }) }, (socket, c, connection) => {
        socket.send(`${connection.context.user} ${c.var.jwtPayload.sub}`);
      }),
    );
  }

  it('no token: jwt’s own 401, with its WWW-Authenticate and body', async () => {
    const { url } = await jwtApp();
    const answer = await refused(`${url}/chat`);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['wsgate-code']).toBeUndefined();
  });

  it('a valid token: 101, and c.var.jwtPayload reaches the hook and the handler', async () => {
    const { url } = await jwtApp();
    const token = await sign({ sub: 'ada', exp: Math.floor(Date.now() / 1000) + 60 }, SECRET, 'HS256');
    const { first } = await accepted(`${url}/chat`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await first).toBe('ada ada');
  });
});

describe('the app’s own answers', () => {
  it('an HTTPException from the route’s middleware is the client’s answer: its status and body', async () => {
    const app = new Hono();
    const { url } = await serve(app, (ws) =>
      ws.route(
        '/chat',
        () => {
          throw new HTTPException(403, { message: 'not in this room' });
        },
        () => {},
      ),
    );
    const answer = await refused(`${url}/chat`);
    expect([answer.status, answer.body]).toEqual([403, 'not in this room']);
  });

  it('c.json(…, 401) from middleware given to ws.route: the 401 with its JSON', async () => {
    const app = new Hono();
    const { url } = await serve(app, (ws) =>
      ws.route(
        '/chat',
        { handshakeTimeout: 5_000 },
        async (c, next) => (c.req.header('x-user') ? next() : c.json({ error: 'login required' }, 401)),
        (socket) => socket.send('hi'),
      ),
    );
    const answer = await refused(`${url}/chat`);
    expect([answer.status, JSON.parse(answer.body)]).toEqual([401, { error: 'login required' }]);
    const { first } = await accepted(`${url}/chat`, { headers: { 'x-user': 'ada' } });
    expect(await first).toBe('hi');
  });

  it('the core’s checks come before the route’s middleware: a foreign Origin is 403 before the auth runs', async () => {
    const app = new Hono();
    let authRan = 0;
    const { url } = await serve(app, (ws) =>
      ws.route(
        '/chat',
        async (c) => {
          authRan++;
          return c.json({ error: 'login required' }, 401);
        },
        () => {},
      ),
    );
    const answer = await refused(`${url}/chat`, { headers: { Origin: 'https://evil.example' } });
    expect([answer.status, answer.headers['wsgate-code'], authRan]).toEqual([403, 'ORIGIN_FORBIDDEN', 0]);
  });

  it('a signed cookie read with hono/cookie in middleware: forged is 401, genuine opens', async () => {
    const app = new Hono<{ Variables: { sid: string } }>();
    const { url } = await serve(app, (ws) =>
      ws.route(
        '/chat',
        async (c, next) => {
          const sid = await getSignedCookie(c, SECRET, 'sid');
          if (!sid) return c.text('bad session', 401);
          c.set('sid', sid);
          await next();
        },
        (socket, c) => socket.send(c.var.sid),
      ),
    );
    // hono/cookie's format: value.base64(HMAC-SHA256(value)), URL-encoded.
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', SECRET).update('s-1').digest('base64');
    const genuine = `sid=${encodeURIComponent(`s-1.${signature}`)}`;
    const forged = `sid=${encodeURIComponent(`s-2.${signature}`)}`;
    const origin = url.replace('ws:', 'http:');
    expect((await refused(`${url}/chat`, { headers: { Cookie: forged, Origin: origin } })).status).toBe(401);
    const { first } = await accepted(`${url}/chat`, { headers: { Cookie: genuine, Origin: origin } });
    expect(await first).toBe('s-1');
  });

  it('hono-rate-limiter: the second handshake from a client gets the limiter’s 429', async () => {
    const app = new Hono();
    app.use('/chat', rateLimiter({ windowMs: 60_000, limit: 1, keyGenerator: (c) => c.req.header('x-key') ?? '' }));
    const { url } = await serve(app, (ws) => ws.route('/chat', (socket) => socket.send('in')));
    await accepted(`${url}/chat`, { headers: { 'x-key': 'k' } });
    const answer = await refused(`${url}/chat`, { headers: { 'x-key': 'k' } });
    expect(answer.status).toBe(429);
    expect(answer.headers['wsgate-code']).toBeUndefined();
  });
});

describe('headers the app set before the route', () => {
  it('cors and secure-headers on app.use, c.header before the route: carried on the 101; the socket works', async () => {
    const app = new Hono();
    app.use('*', cors({ origin: 'http://127.0.0.1' }), secureHeaders());
    app.use('/chat', async (c, next) => {
      c.header('X-Request-Id', 'r-1');
      await next();
    });
    const { url } = await serve(app, (ws) =>
      ws.route('/chat', (socket) => socket.on('message', (data) => socket.send(`echo ${data}`))),
    );
    const { socket, headers } = await accepted(`${url}/chat`);
    expect(headers['x-request-id']).toBe('r-1');
    // secure-headers sets its headers on the way back, after the handler: the 101 was written by then.
    expect(headers['x-content-type-options']).toBeUndefined();
    const reply = new Promise((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('ping');
    expect(await reply).toBe('echo ping');
  });

  it('a plain GET on a WebSocket route: the core’s 426 as Hono’s response', async () => {
    const app = new Hono();
    const { port } = await serve(app, (ws) => ws.route('/chat', () => {}));
    const response = await fetch(`http://127.0.0.1:${port}/chat`);
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(response.headers.get('wsgate-code')).toBe('NOT_AN_UPGRADE');
  });
});
