// @wsgate/koa on a node:http2 server (allowHTTP1): an HTTP/2 extended CONNECT (RFC 8441) goes through the
// same router, middleware and route as an HTTP/1.1 upgrade, seen by Koa as a GET. Node's http2 client sends
// the CONNECT by hand; for Koa 3 and Koa 2.
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import type { HandshakeEvent } from '@wsgate/core';
import type Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testCredentials } from '../../../test/h2/cert.js';
import {
  closeSocket,
  nextText,
  openSession,
  openWebSocketH2,
  rawH2Request,
  readBody,
  refusedH2,
  requestH2,
} from '../../../test/h2/client.js';
import { koaGate } from '../src/index.js';
import { koaVersions } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Chat {
  origin: string;
  port: number;
  ws: ReturnType<typeof koaGate>;
  session(): Promise<http2.ClientHttp2Session>;
  events: HandshakeEvent[];
  errors: unknown[];
  /** Resolves the next time requireUser runs; it then waits for `proceed()`. */
  authStarted(): Promise<void>;
  proceed(): void;
  handled: Array<{ method: string; user: unknown; transport: string }>;
}

/** A chat app: a session middleware, an auth guard (async when `slowAuth`), and the WebSocket route. */
async function serveChat(KoaClass: typeof Koa, { slowAuth = false, handshakeTimeout = 10_000 } = {}): Promise<Chat> {
  const app = new KoaClass();
  app.silent = true;
  const errors: unknown[] = [];
  app.on('error', (error) => errors.push(error));
  const events: HandshakeEvent[] = [];
  const ws = koaGate(app, { onEvent: (event) => event.outcome !== 'close' && events.push(event), handshakeTimeout });
  const handled: Chat['handled'] = [];
  let started: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  const router = new Router();
  router.get('/page', (ctx) => {
    ctx.body = { httpVersion: ctx.req.httpVersion };
  });
  router.get(
    '/chat',
    async (ctx, next) => {
      ctx.set('X-Request-Id', 'r-1');
      if (slowAuth) {
        started?.();
        await gate;
      }
      if (ctx.get('Authorization') !== 'Bearer ok') {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer');
        ctx.body = { error: 'login required' };
        return;
      }
      ctx.state.user = 'ada';
      await next();
    },
    ws.route({ subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true }, (socket, ctx, connection) => {
      handled.push({ method: ctx.method, user: ctx.state.user, transport: connection.transport });
      socket.send(`${connection.transport} ${ctx.state.user}`);
      socket.on('message', (data) => socket.send(String(data)));
    }),
  );
  app.use(router.routes());
  const server = http2.createSecureServer({ ...(await testCredentials()), allowHTTP1: true }, app.callback());
  ws.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const origin = `https://localhost:${port}`;
  const sessions: http2.ClientHttp2Session[] = [];
  cleanups.push(async () => {
    await ws.close({ timeout: 200 });
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    origin,
    port,
    ws,
    events,
    errors,
    handled,
    async session() {
      const session = await openSession(origin);
      sessions.push(session);
      return session;
    },
    authStarted() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
      return new Promise((resolve) => {
        started = resolve;
      });
    },
    proceed: () => open(),
  };
}

const authorized = (origin: string) => ({ origin, authorization: 'Bearer ok' });

describe.each(koaVersions)('%s on an HTTP/2 server', (_name, KoaClass) => {
  it('an extended CONNECT runs the router and middleware as a GET: 200, the chosen protocol, messages', async () => {
    const chat = await serveChat(KoaClass);
    const session = await chat.session();
    const { socket, headers } = await openWebSocketH2(chat.origin, '/chat', {
      session,
      protocols: ['chat.v1', 'chat.v2'],
      headers: authorized(chat.origin),
    });
    expect(headers).toMatchObject({ ':status': 200, 'sec-websocket-protocol': 'chat.v2', 'x-request-id': 'r-1' });
    expect(await nextText(socket)).toBe('h2 ada');
    socket.send('hi');
    expect(await nextText(socket)).toBe('hi');
    expect(chat.handled).toEqual([{ method: 'GET', user: 'ada', transport: 'h2' }]);
    expect(chat.events).toMatchObject([{ outcome: 'accept', status: 200, transport: 'h2' }]);
    // The app's ordinary routes answer HTTP/2 requests on the same connection.
    const page = session.request({ ':path': '/page' });
    expect(JSON.parse(await readBody(page))).toEqual({ httpVersion: '2.0' });
    await closeSocket(socket);
  });

  it('refusals: the middleware’s 401 as Koa wrote it, 403 Origin and 400 no common subprotocol from the core', async () => {
    const chat = await serveChat(KoaClass);
    const session = await chat.session();
    const unauthorized = await refusedH2(chat.origin, '/chat', {
      session,
      protocols: ['chat.v2'],
      headers: { origin: chat.origin },
    });
    expect(unauthorized).toMatchObject({ status: 401, body: '{"error":"login required"}', rstCode: 0 });
    expect(unauthorized.headers['www-authenticate']).toBe('Bearer');
    const foreign = await refusedH2(chat.origin, '/chat', {
      session,
      protocols: ['chat.v2'],
      headers: authorized('https://evil.example'),
    });
    expect(foreign).toMatchObject({ status: 403, headers: { 'wsgate-code': 'ORIGIN_FORBIDDEN' } });
    const none = await refusedH2(chat.origin, '/chat', {
      session,
      protocols: ['chat.v9'],
      headers: authorized(chat.origin),
    });
    expect(none).toMatchObject({ status: 400, headers: { 'wsgate-code': 'NO_SUBPROTOCOL' } });
    expect(chat.events.map((event) => [event.code, event.status])).toEqual([
      ['REJECTED', 401],
      ['ORIGIN_FORBIDDEN', 403],
      ['NO_SUBPROTOCOL', 400],
    ]);
    expect(chat.errors).toEqual([]);
  });

  it('a CONNECT without :protocol gets 405, a plain GET 400; one without :path is reset by nghttp2 before Koa sees it', async () => {
    const chat = await serveChat(KoaClass);
    const session = await chat.session();
    const tunnel = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
    const [response] = await once(tunnel, 'response');
    expect(response[':status']).toBe(405);
    await readBody(tunnel);
    // A GET without CONNECT, past the auth: the route's 400 over HTTP/2 (its 426 needs Upgrade).
    const plain = session.request({ ':path': '/chat', authorization: 'Bearer ok' });
    const [answer] = await once(plain, 'response');
    expect(answer).toMatchObject({ ':status': 400, 'wsgate-code': 'NOT_AN_UPGRADE' });
    await readBody(plain);
    const noPath = await rawH2Request(chat.port, [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', `localhost:${chat.port}`],
      ['sec-websocket-version', '13'],
    ]);
    expect(noPath).toBe('RST_STREAM PROTOCOL_ERROR');
    expect(chat.handled).toEqual([]);
  });

  it('a stream reset while the auth middleware awaits: nothing pending, the handler never runs, no Koa error', async () => {
    const chat = await serveChat(KoaClass, { slowAuth: true });
    const session = await chat.session();
    const started = chat.authStarted();
    const { stream, response } = requestH2(session, '/chat', {
      protocols: ['chat.v2'],
      headers: authorized(chat.origin),
    });
    await started;
    expect(chat.ws.gate.pending).toBe(1);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await expect(response).rejects.toMatchObject({ rstCode: http2.constants.NGHTTP2_CANCEL });
    while (chat.events.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(chat.events).toMatchObject([{ outcome: 'abort', code: 'CLIENT_GONE', transport: 'h2' }]);
    expect(chat.ws.gate.pending).toBe(0);
    chat.proceed(); // the middleware goes on, and finds the handshake over
    await new Promise((resolve) => setImmediate(resolve));
    expect(chat.handled).toEqual([]);
    expect(chat.errors).toEqual([]);
  });

  it('the deadline passes while the auth awaits: 503 on the stream; the late middleware and Koa write nothing, no error', async () => {
    for (const authorization of ['Bearer ok', 'nope']) {
      // Authorized, the middleware then reaches the route; not, it answers 401 itself: both after the 503.
      const chat = await serveChat(KoaClass, { slowAuth: true, handshakeTimeout: 50 });
      const started = chat.authStarted();
      const { stream, response } = requestH2(await chat.session(), '/chat', {
        protocols: ['chat.v2'],
        headers: { origin: chat.origin, authorization },
      });
      await started;
      expect(await response).toMatchObject({ ':status': 503, 'wsgate-code': 'HANDSHAKE_TIMEOUT' });
      chat.proceed();
      expect(await readBody(stream)).toBe('503 Service Unavailable: HANDSHAKE_TIMEOUT\n');
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(chat.handled).toEqual([]);
      expect(chat.errors).toEqual([]);
      expect(chat.events.map((event) => event.code)).toEqual(['HANDSHAKE_TIMEOUT']);
    }
  });

  it('a client that resets an accepted WebSocket’s stream with an error code is no Koa error', async () => {
    const chat = await serveChat(KoaClass);
    const { socket, stream } = await openWebSocketH2(chat.origin, '/chat', {
      session: await chat.session(),
      protocols: ['chat.v2'],
      headers: authorized(chat.origin),
    });
    expect(await nextText(socket)).toBe('h2 ada');
    // RST_STREAM(INTERNAL_ERROR) on every line: Node 20 and 24's `stream.close(code)` end the client's side
    // first, and the server's stream then finishes cleanly before the reset arrives.
    stream.on('error', () => {});
    stream.destroy(new Error('the client gives up'));
    while (chat.ws.gate.connections.size > 0) await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(chat.errors).toEqual([]);
  });

  it('twenty WebSockets on one HTTP/2 connection, and an HTTP/1.1 upgrade on the same port', async () => {
    const chat = await serveChat(KoaClass);
    const session = await chat.session();
    const opened = await Promise.all(
      Array.from({ length: 20 }, () =>
        openWebSocketH2(chat.origin, '/chat', { session, protocols: ['chat.v2'], headers: authorized(chat.origin) }),
      ),
    );
    expect(chat.ws.gate.connections.size).toBe(20);
    for (const { socket } of opened) expect(await nextText(socket)).toBe('h2 ada');
    const h1 = new WebSocket(`wss://localhost:${chat.port}/chat`, ['chat.v2'], {
      rejectUnauthorized: false,
      headers: authorized(chat.origin),
    });
    const [greeting] = await once(h1, 'message');
    expect(String(greeting)).toBe('http/1.1 ada');
    h1.close();
    await Promise.all(opened.map(({ socket }) => closeSocket(socket)));
  });
});
