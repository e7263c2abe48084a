// Koa 3 with the middleware people put in front of a WebSocket route, wired as their READMEs wire them:
// koa-session (rolling, signed), @koa/router, koa-helmet, @koa/cors, koa-compress, koa-ratelimit (memory
// driver) and koa-bodyparser. One server, many cases, a real `ws` client over TCP.
import { createServer } from 'node:http';
import cors from '@koa/cors';
import Router from '@koa/router';
import { koaGate } from '@wsgate/koa';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import compress from 'koa-compress';
import helmet from 'koa-helmet';
import ratelimit from 'koa-ratelimit';
import session from 'koa-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen, opened, refused, request, watchStderr, withCookies } from './support.js';

type Session = { user?: string; visits?: number } | null | undefined;
const sessionOf = (ctx: Koa.Context) => ctx.session as Session;

function chatApp() {
  const app = new Koa();
  app.keys = ['koa keys'];
  const ws = koaGate(app);
  const router = new Router();
  app.use(helmet());
  app.use(cors({ origin: 'http://cors.example', credentials: true }));
  app.use(compress());
  app.use(session({ rolling: true, signed: true }, app));
  app.use(bodyParser());

  router.post('/login', (ctx) => {
    const { user } = ctx.request.body as { user: string };
    (ctx.session as { user?: string }).user = user;
    ctx.body = { user };
  });
  router.get('/me', (ctx) => {
    ctx.body = { user: sessionOf(ctx)?.user ?? null, visits: sessionOf(ctx)?.visits ?? 0 };
  });
  const requireUser: Koa.Middleware = (ctx, next) => {
    if (!sessionOf(ctx)?.user) ctx.throw(401, 'login required');
    return next();
  };
  router.get(
    '/ws/me',
    ws.route(requireUser, (socket, ctx) => socket.send(JSON.stringify({ user: sessionOf(ctx)?.user }))),
  );
  router.get(
    '/ws/visit',
    ws.route(
      requireUser,
      (ctx, next) => {
        const current = ctx.session as { visits?: number };
        current.visits = (current.visits ?? 0) + 1;
        return next();
      },
      (socket, ctx) => socket.send(String(sessionOf(ctx)?.visits)),
    ),
  );
  router.get(
    '/ws/manual',
    requireUser,
    async (ctx, next) => {
      await next();
      await (ctx.session as unknown as { manuallyCommit(): Promise<void> }).manuallyCommit();
    },
    ws.route((socket) => socket.send('committed')),
  );
  router.get(
    '/ws/limited',
    ratelimit({
      driver: 'memory',
      db: new Map(),
      duration: 60_000,
      max: 2,
      id: (ctx) => ctx.ip,
      errorMessage: 'slow down',
    }),
    ws.route((socket) => socket.send('in')),
  );
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, ws };
}

describe('koa 3 with its middleware', () => {
  let server: Listening;
  const stderr = watchStderr();

  beforeAll(async () => {
    const { app, ws } = chatApp();
    server = await listen(ws.attach(createServer(app.callback())));
  });
  afterAll(async () => {
    stderr.restore();
    await server.close();
  });

  async function login(user: string): Promise<string> {
    const answer = await request(`${server.base}/login`, { json: { user } });
    expect(answer.status).toBe(200);
    return withCookies(undefined, answer.setCookie);
  }

  it('allowed: the session user reaches the handler; helmet’s, cors’s and the limiter’s headers ride on the 101', async () => {
    const cookie = await login('ada');
    const me = await opened(`${server.ws}/ws/me`, { cookie });
    expect(JSON.parse(me.first)).toEqual({ user: 'ada' });
    expect(me.headers['x-content-type-options']).toBe('nosniff');
    expect(me.headers['content-security-policy']).toContain("default-src 'self'");
    const limited = await opened(`${server.ws}/ws/limited`);
    expect(limited.first).toBe('in');
    expect(limited.headers['x-ratelimit-remaining']).toBe('1');
  });

  it('rolling: true with a logged-in user: koa-session’s cookie rides on the 101, and nothing throws', async () => {
    const cookie = await login('ada');
    const me = await opened(`${server.ws}/ws/me`, { cookie });
    const names = [me.headers['set-cookie'] ?? []].flat().map((line) => line.split('=')[0]);
    expect(names).toEqual(['koa.sess', 'koa.sess.sig']);
    const manual = await opened(`${server.ws}/ws/manual`, { cookie });
    expect(manual.first).toBe('committed');
    expect([manual.headers['set-cookie'] ?? []].flat().map((line) => line.split('=')[0])).toContain('koa.sess');
  });

  it('a session change during a handshake is saved: its cookie rides on the 101', async () => {
    let cookie = await login('ada');
    const first = await opened(`${server.ws}/ws/visit`, { cookie });
    expect(first.first).toBe('1');
    cookie = withCookies(cookie, first.headers['set-cookie']);
    const second = await opened(`${server.ws}/ws/visit`, { cookie });
    expect(second.first).toBe('2');
    cookie = withCookies(cookie, second.headers['set-cookie']);
    expect(JSON.parse((await request(`${server.base}/me`, { cookie })).body)).toEqual({ user: 'ada', visits: 2 });
  });

  it('refused: each middleware’s own status and body; cors does not open the route to its origin', async () => {
    const anonymous = await refused(`${server.ws}/ws/me`);
    expect([anonymous.status, anonymous.body]).toEqual([401, 'login required']);
    await opened(`${server.ws}/ws/limited`);
    const third = await refused(`${server.ws}/ws/limited`);
    expect([third.status, third.body]).toEqual([429, 'slow down']);
    expect(third.headers['retry-after']).toBeDefined();
    const cookie = await login('ada');
    const other = await refused(`${server.ws}/ws/me`, { cookie, origin: 'http://cors.example' });
    expect([other.status, other.headers['wsgate-code']]).toEqual([403, 'ORIGIN_FORBIDDEN']);
  });

  it('side effects: nothing on stderr (no ERR_HTTP_HEADERS_SENT from app.onerror)', () => {
    expect(stderr.lines).toEqual([]);
  });
});
