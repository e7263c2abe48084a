/**
 * The example chat on Fastify. The session cookie (@fastify/cookie, signed),
 * the hook that finds the user and the route's preHandler that answers 401 guard the WebSocket upgrade on
 * /chat exactly as they guard any HTTP route: all of it runs before the 101.
 */

import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { wsgate } from '@wsgate/fastify';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret, transportOf } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { HTTP2_SETTINGS } from 'chat-page/tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in user, from the signed `sid` cookie. */
    user: string | undefined;
  }
}

export interface ChatOptions {
  host?: string;
  secret?: string;
  /** A key and certificate: HTTPS with HTTP/2 and HTTP/1.1 fallback (ALPN), WebSockets over both. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export async function createChat({ host = '127.0.0.1', secret, tls }: ChatOptions = {}) {
  // Over TLS: Fastify's HTTP/2 server with HTTP/1.1 fallback. forceCloseConnections: Node 20's server.close()
  // closes no HTTP/2 connection, Fastify then closes them. (One instance type for both: the routes below
  // use nothing specific to HTTP/1.)
  const app = (tls === undefined
    ? Fastify()
    : Fastify({
        http2: true,
        https: { ...tls, allowHTTP1: true, settings: HTTP2_SETTINGS }, // see @wsgate/core's "HTTP/2 limits"
        forceCloseConnections: true,
      })) as unknown as FastifyInstance;
  const sessions = new Map<string, string>(); // session id -> user name
  const room = createRoom();
  const sessionCookie = { signed: true, httpOnly: true, sameSite: 'lax', path: '/' } as const;

  await app.register(cookie, { secret: secret ?? sessionSecret() });
  await app.register(formbody);
  // wsgate, per app: the Host allowlist (DNS rebinding), same-origin Origin (the default), the handshake log.
  const gateLog = createGateLog(); // the demo page's live log of every handshake decision
  await app.register(wsgate, {
    hosts: exampleHosts(host),
    onEvent: (event) => {
      logHandshake(event);
      gateLog.record(event);
    },
    closeTimeout: 1000,
  });
  app.addHook('preClose', async () => gateLog.close()); // its open streams would hold app.close() up

  // Who is logged in, for every request, the WebSocket upgrade included.
  app.decorateRequest('user', undefined);
  app.addHook('onRequest', async (request) => {
    const signed = request.cookies.sid;
    const sid = signed === undefined ? undefined : request.unsignCookie(signed);
    if (sid?.valid && sid.value !== null) request.user = sessions.get(sid.value);
  });

  // The route guard: an ordinary Fastify hook, answering a real 401 before any 101.
  const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.user === undefined) return reply.code(401).send({ error: 'login required' });
  };

  app.get('/', (request, reply) => {
    reply.type('text/html; charset=utf-8').send(request.user === undefined ? loginPage() : chatPage(request.user));
  });

  app.get('/health', () => 'ok');
  app.get('/gate-log', (request, reply) => {
    reply.hijack(); // a stream that stays open: written by the gate log, not by Fastify
    gateLog.stream(request.raw, reply.raw);
  });
  app.get('/probe', (_request, reply) => void reply.type('text/html; charset=utf-8').send(probePage()));

  app.post<{ Body: { name: string } }>(
    '/login',
    {
      schema: {
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 32, pattern: '\\S' } },
          required: ['name'],
        },
      },
    },
    (request, reply) => {
      const sid = randomUUID();
      sessions.set(sid, request.body.name.trim());
      reply.setCookie('sid', sid, sessionCookie).redirect('/', 303);
    },
  );

  app.post('/logout', (request, reply) => {
    const signed = request.cookies.sid;
    const sid = signed === undefined ? undefined : request.unsignCookie(signed);
    if (sid?.valid && sid.value !== null) sessions.delete(sid.value);
    reply.clearCookie('sid', sessionCookie).redirect('/', 303);
  });

  // A WebSocket route: a plain GET gets 426, a logged-out upgrade 401 (requireUser), then wsgate takes over.
  app.get(
    '/chat',
    {
      websocket: { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true },
      preHandler: requireUser,
    },
    (socket, request) => room.join(socket, request.user!, socket.protocol, transportOf(request.raw)),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  app.get('/slow', { websocket: slowRoute }, (socket) => socket.close());

  return { app, room, gateLog };
}
