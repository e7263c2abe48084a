/**
 * The example chat on Fastify. The session (@fastify/session, its data on the server) and the route's
 * preHandler that answers 401 guard the WebSocket upgrade on /chat exactly as they guard any HTTP route: all of
 * it runs before the 101. Each chat socket belongs to its user and session (the route's `keys`): logging out
 * destroys the session and closes that session's sockets in every tab (`gate.revoke`), and a replayed cookie
 * finds no session (401).
 */

import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import session from '@fastify/session';
import { wsgate } from '@wsgate/fastify';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret, transportOf } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import { HTTP2_SETTINGS } from 'chat-page/tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface Session {
    /** The logged-in user. */
    user?: string;
  }
}

export interface ChatOptions {
  host?: string;
  /** Signs the session cookie: 32 characters at least (@fastify/session's rule). */
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
  const room = createRoom();

  // The session, for every request, the WebSocket upgrade included: the cookie `sid` holds only the session's
  // id, signed. Its store is @fastify/session's MemoryStore, fit for an example in one process; production uses a
  // store every process shares (Redis…). A handshake only reads the session: the 101 is a hijacked reply, and
  // @fastify/session saves in onSend, which a hijacked reply never reaches (see @wsgate/fastify's README).
  await app.register(cookie);
  await app.register(session, {
    secret: secret ?? sessionSecret(),
    cookieName: 'sid',
    cookie: { httpOnly: true, sameSite: 'lax', path: '/', secure: 'auto' },
    saveUninitialized: false,
  });
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

  // The route guard: an ordinary Fastify hook, answering a real 401 before any 101.
  const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.session.user === undefined) return reply.code(401).send({ error: 'login required' });
  };

  app.get('/', (request, reply) => {
    const user = request.session.user;
    reply.type('text/html; charset=utf-8').send(user === undefined ? loginPage() : chatPage(user));
  });

  app.get('/health', () => 'ok');
  app.get('/gate-log', (request, reply) => {
    reply.hijack(); // a stream that stays open: written by the gate log, not by Fastify
    gateLog.stream(request.raw, reply.raw);
  });
  app.get('/metrics', (request, reply) => {
    reply.hijack(); // the Prometheus exporter writes the response
    serveMetrics(request.raw, reply.raw);
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
    async (request, reply) => {
      await request.session.regenerate(); // a new session id at login (no fixation)
      request.session.user = request.body.name.trim();
      return reply.redirect('/', 303);
    },
  );

  app.post('/logout', async (request, reply) => {
    const id = request.session.sessionId;
    await request.session.destroy(); // out of the store: the old cookie now finds no session (401)
    // Now the session's open sockets, in every tab.
    app.wsgate.revoke({ session: id }, { reason: 'you logged out in another tab' });
    return reply.clearCookie('sid', { path: '/' }).redirect('/', 303);
  });

  // A WebSocket route: a plain GET gets 426, a logged-out upgrade 401 (requireUser), then wsgate takes over.
  app.get(
    '/chat',
    {
      websocket: {
        subprotocols: ['chat.v2', 'chat.v1'],
        requireSubprotocol: true,
        // After requireUser, with its Fastify request: the connection's user and session, the keys
        // `gate.revoke` closes it by.
        onUpgrade: (_upgrade, request) => ({
          user: request.session.user as string,
          session: request.session.sessionId,
        }),
        keys: ({ user, session }) => ({ user, session }),
      },
      preHandler: requireUser,
    },
    (socket, request, { user }) => room.join(socket, user, socket.protocol, transportOf(request.raw)),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  app.get('/slow', { websocket: slowRoute }, (socket) => socket.close());

  return { app, room, gateLog };
}
