// Fastify 5 with the plugins people put in front of a WebSocket route, wired as their READMEs wire them:
// @fastify/cookie, @fastify/jwt (a cookie, and a token in Sec-WebSocket-Protocol), @fastify/auth,
// @fastify/session and @fastify/secure-session (each in its own scope), @fastify/helmet, @fastify/cors,
// @fastify/compress and @fastify/rate-limit (global, its default). One server, many cases, a real `ws` client.

import fastifyAuth from '@fastify/auth';
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import jwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import secureSession from '@fastify/secure-session';
import session from '@fastify/session';
import { wsgate } from '@wsgate/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Listening, listen, opened, refused, request, watchStderr, withCookies } from './support.js';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { user: string };
    user: { user: string };
  }
}
/**
 * @fastify/session's request.session. Both session plugins type `request.session` for the whole program
 * (@fastify/secure-session's wins); each runs in its own scope here, so the other's is named locally.
 */
type FastifySession = { user?: string; visits?: number; save(): Promise<void> };
const fs = (request: FastifyRequest) => request.session as unknown as FastifySession;

async function chatApp(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(wsgate);
  await app.register(helmet);
  await app.register(cors, { origin: 'http://cors.example', credentials: true });
  await app.register(compress);
  await app.register(rateLimit, { max: 1000, timeWindow: 60_000 });
  await app.register(cookie);
  await app.register(jwt, { secret: 'a jwt secret, long enough', cookie: { cookieName: 'token', signed: false } });
  await app.register(fastifyAuth);
  const verifyJwt = async (request: FastifyRequest) => {
    await request.jwtVerify();
  };

  app.post('/login', async (request, reply) => {
    const { user } = request.body as { user: string };
    const token = app.jwt.sign({ user });
    return reply.setCookie('token', token, { path: '/', httpOnly: true }).send({ user, token });
  });
  app.get('/ws/me', { websocket: true, preHandler: app.auth([verifyJwt]) }, (socket, request) => {
    socket.send(JSON.stringify({ user: request.user.user }));
  });
  app.get(
    '/ws/token',
    {
      websocket: {
        subprotocols: ['chat.v1'],
        protocolToken: 'bearer.',
        onUpgrade: (upgrade) => {
          try {
            return { user: app.jwt.verify<{ user: string }>(upgrade.protocolToken ?? '').user };
          } catch {
            return upgrade.reject(401, 'bad token');
          }
        },
      },
    },
    (socket, _request, context) => socket.send(`${(context as { user: string }).user} ${socket.protocol}`),
  );
  app.get('/ws/limited', { websocket: true, config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, (socket) =>
    socket.send('in'),
  );

  await app.register(async (scope) => {
    await scope.register(session, { secret: 'a session secret of thirty-two chars!', cookie: { secure: false } });
    scope.post('/fs/login', async (request) => {
      fs(request).user = (request.body as { user: string }).user;
      return { user: fs(request).user };
    });
    scope.get('/fs/me', async (request) => ({ user: fs(request).user ?? null, visits: fs(request).visits ?? 0 }));
    const requireUser = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
      if (fs(request).user === undefined) return reply.code(401).send({ error: 'login required' });
    };
    scope.get('/fs/ws', { websocket: true, preHandler: requireUser }, (socket, request) => {
      socket.send(String(fs(request).user));
    });
    // The documented recipe: save the change yourself; without it, it is dropped (onSend never runs).
    scope.get(
      '/fs/visit',
      {
        websocket: true,
        preHandler: [
          requireUser,
          async (request) => {
            fs(request).visits = (fs(request).visits ?? 0) + 1;
            if ((request.query as { save?: string }).save === '1') await fs(request).save();
          },
        ],
      },
      (socket, request) => socket.send(String(fs(request).visits)),
    );
  });

  await app.register(async (scope) => {
    await scope.register(secureSession, { key: Buffer.alloc(32, 7), cookie: { path: '/' } });
    scope.post('/ss/login', async (request) => {
      request.session.set('user', (request.body as { user: string }).user);
      return { ok: true };
    });
    scope.get(
      '/ss/ws',
      {
        websocket: true,
        preHandler: async (request, reply) => {
          if (request.session.get('user') === undefined) return reply.code(401).send({ error: 'no secure session' });
        },
      },
      (socket, request) => socket.send(String(request.session.get('user'))),
    );
  });
  return app;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    user: string;
  }
}

describe('fastify 5 with its plugins', () => {
  let app: FastifyInstance;
  let server: Listening;
  const stderr = watchStderr();

  beforeAll(async () => {
    app = await chatApp();
    await app.ready();
    server = await listen(app.server);
  });
  afterAll(async () => {
    stderr.restore();
    await app.close();
  });

  async function login(path: string, user: string): Promise<{ cookie: string; body: string }> {
    const answer = await request(`${server.base}${path}`, { json: { user } });
    expect(answer.status).toBe(200);
    return { cookie: withCookies(undefined, answer.setCookie), body: answer.body };
  }

  it('allowed: the JWT cookie’s user reaches the handler; helmet’s, cors’s and the limiter’s headers ride on the 101', async () => {
    const { cookie } = await login('/login', 'ada');
    const me = await opened(`${server.ws}/ws/me`, { cookie });
    expect(JSON.parse(me.first)).toEqual({ user: 'ada' });
    expect(me.headers['x-content-type-options']).toBe('nosniff');
    expect(me.headers['content-security-policy']).toContain("default-src 'self'");
    expect(me.headers['access-control-allow-origin']).toBe('http://cors.example');
    expect(me.headers['x-ratelimit-limit']).toBe('1000');
  });

  it('a JWT in Sec-WebSocket-Protocol, beside a real subprotocol; the token alone gets no subprotocol, which ws refuses', async () => {
    const { body } = await login('/login', 'grace');
    const { token } = JSON.parse(body) as { token: string };
    const withProtocol = await opened(`${server.ws}/ws/token`, { protocols: ['chat.v1', `bearer.${token}`] });
    expect(withProtocol.first).toBe('grace chat.v1');
    expect(withProtocol.headers['sec-websocket-protocol']).toBe('chat.v1');
    const alone = new WebSocket(`${server.ws}/ws/token`, [`bearer.${token}`]);
    const error = await new Promise<Error>((resolve) => alone.once('error', resolve));
    expect(error.message).toBe('Server sent no subprotocol');
    const forged = await refused(`${server.ws}/ws/token`, { protocols: ['chat.v1', 'bearer.forged'] });
    expect([forged.status, forged.body]).toEqual([401, 'bad token']);
  });

  it('refused: @fastify/auth’s and @fastify/rate-limit’s own status and body; cors does not open the route', async () => {
    const anonymous = await refused(`${server.ws}/ws/me`);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({ code: 'FST_JWT_NO_AUTHORIZATION_IN_COOKIE' });
    await opened(`${server.ws}/ws/limited`);
    await opened(`${server.ws}/ws/limited`);
    const third = await refused(`${server.ws}/ws/limited`);
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body)).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    const { cookie } = await login('/login', 'ada');
    const other = await refused(`${server.ws}/ws/me`, { cookie, origin: 'http://cors.example' });
    expect([other.status, other.headers['wsgate-code']]).toEqual([403, 'ORIGIN_FORBIDDEN']);
  });

  it('@fastify/session: the session user reaches the handler; no session is its own 401', async () => {
    const { cookie } = await login('/fs/login', 'ada');
    expect((await opened(`${server.ws}/fs/ws`, { cookie })).first).toBe('ada');
    const anonymous = await refused(`${server.ws}/fs/ws`);
    expect([anonymous.status, JSON.parse(anonymous.body)]).toEqual([401, { error: 'login required' }]);
  });

  it('@fastify/session: a change during the handshake is dropped unless saved (as documented)', async () => {
    const { cookie } = await login('/fs/login', 'ada');
    expect((await opened(`${server.ws}/fs/visit`, { cookie })).first).toBe('1');
    expect(JSON.parse((await request(`${server.base}/fs/me`, { cookie })).body).visits).toBe(0);
    expect((await opened(`${server.ws}/fs/visit?save=1`, { cookie })).first).toBe('1');
    expect(JSON.parse((await request(`${server.base}/fs/me`, { cookie })).body).visits).toBe(1);
  });

  it('@fastify/secure-session: the session user reaches the handler; no session is its own 401', async () => {
    const { cookie } = await login('/ss/login', 'ada');
    expect((await opened(`${server.ws}/ss/ws`, { cookie })).first).toBe('ada');
    const anonymous = await refused(`${server.ws}/ss/ws`);
    expect([anonymous.status, JSON.parse(anonymous.body)]).toEqual([401, { error: 'no secure session' }]);
  });

  it('side effects: nothing on stderr', () => {
    expect(stderr.lines).toEqual([]);
  });
});
