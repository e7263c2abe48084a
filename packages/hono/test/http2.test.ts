// @wsgate/hono on @hono/node-server's HTTP/2 (`createServer: http2.createSecureServer`, allowHTTP1): an RFC 8441
// extended CONNECT goes through the same app.use middleware and route as an HTTP/1.1 upgrade, seen by Hono as
// a GET. Node's http2 client sends the CONNECT by hand; ws opens the HTTP/1.1 upgrades on the same server.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { type Http2Bindings, serve } from '@hono/node-server';
import type { HandshakeEvent } from '@wsgate/core';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testCredentials } from '../../../test/h2/cert.js';
import { closeSocket, nextText, openSession, openWebSocketH2, readBody, refusedH2 } from '../../../test/h2/client.js';
import { wsgate } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serveChat({ headerMiddleware = true } = {}) {
  const app = new Hono<{ Bindings: Http2Bindings; Variables: { user: string } }>();
  const events: HandshakeEvent[] = [];
  const errors: unknown[] = [];
  const ws = wsgate(app, {
    onEvent: (event) => event.outcome !== 'close' && events.push(event),
    onError: (error) => errors.push(error),
  });
  // Middleware that touch c.res before and after the route: node-server must still write nothing once the
  // core has answered on the stream.
  if (headerMiddleware) app.use('*', cors({ origin: (origin) => origin }), secureHeaders());
  app.get('/page', (c) => c.json({ httpVersion: c.env.incoming.httpVersion }));
  ws.route(
    '/chat',
    { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true },
    async (c, next) => {
      c.header('X-Request-Id', 'r-1');
      if (c.req.header('authorization') !== 'Bearer ok') {
        return c.json({ error: 'login required' }, 401, { 'WWW-Authenticate': 'Bearer' });
      }
      c.set('user', 'ada');
      await next();
    },
    (socket, c, connection) => {
      socket.send(`${connection.transport} ${c.req.method} ${c.var.user}`);
      socket.on('message', (data) => socket.send(String(data)));
    },
  );
  const server = serve({
    fetch: app.fetch,
    port: 0,
    hostname: '127.0.0.1',
    createServer: http2.createSecureServer,
    serverOptions: { ...(await testCredentials()), allowHTTP1: true },
  });
  ws.attach(server);
  await new Promise((resolve) => server.once('listening', resolve));
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
    events,
    errors,
    async session() {
      const session = await openSession(origin);
      sessions.push(session);
      return session;
    },
  };
}

const authorized = (origin: string) => ({ origin, authorization: 'Bearer ok' });

describe('@hono/node-server over HTTP/2', () => {
  it('an extended CONNECT runs app.use and the route as a GET: 200, the protocol, messages both ways', async () => {
    const chat = await serveChat();
    const session = await chat.session();
    const { socket, headers } = await openWebSocketH2(chat.origin, '/chat', {
      session,
      protocols: ['chat.v1', 'chat.v2'],
      headers: authorized(chat.origin),
    });
    expect(headers).toMatchObject({ ':status': 200, 'sec-websocket-protocol': 'chat.v2', 'x-request-id': 'r-1' });
    expect(headers['access-control-allow-origin']).toBe(chat.origin);
    expect(await nextText(socket)).toBe('h2 GET ada');
    socket.send('hi');
    expect(await nextText(socket)).toBe('hi');
    // The stream outlives the app's chain: secure-headers ran after the route, and nothing reached the stream.
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.send('still here');
    expect(await nextText(socket)).toBe('still here');
    expect(chat.events).toMatchObject([{ outcome: 'accept', status: 200, transport: 'h2' }]);
    // The app's ordinary routes answer HTTP/2 requests on the same connection.
    const page = session.request({ ':path': '/page' });
    expect(JSON.parse(await readBody(page))).toEqual({ httpVersion: '2.0' });
    await closeSocket(socket);
    expect(chat.errors).toEqual([]);
  });

  it('headers set before the route, no middleware after it: node-server still writes nothing on the stream', async () => {
    // Reading the headers a middleware set builds `c.res`; Hono then copies the route's RESPONSE_ALREADY_SENT
    // into a response node-server writes from its cache: on the WebSocket's stream that second head would
    // end it (ERR_HTTP2_HEADERS_SENT, then destroy). The adapter gives node-server RESPONSE_ALREADY_SENT itself.
    const chat = await serveChat({ headerMiddleware: false });
    const { socket } = await openWebSocketH2(chat.origin, '/chat', {
      session: await chat.session(),
      protocols: ['chat.v2'],
      headers: authorized(chat.origin),
    });
    expect(await nextText(socket)).toBe('h2 GET ada');
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.send('still here');
    expect(await nextText(socket)).toBe('still here');
    await closeSocket(socket);
    expect(chat.errors).toEqual([]);
  });

  it('refusals: the middleware’s 401 as Hono wrote it, 403 Origin and 400 no common subprotocol from the core', async () => {
    const chat = await serveChat();
    const session = await chat.session();
    const unauthorized = await refusedH2(chat.origin, '/chat', {
      session,
      protocols: ['chat.v2'],
      headers: { origin: chat.origin },
    });
    expect(unauthorized).toMatchObject({ status: 401, body: '{"error":"login required"}' });
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

  it('an HTTP/1.1 upgrade on the same server reaches the same route', async () => {
    const chat = await serveChat();
    const socket = new WebSocket(`wss://localhost:${chat.port}/chat`, ['chat.v2'], {
      headers: authorized(chat.origin),
      rejectUnauthorized: false,
    });
    cleanups.push(() => socket.terminate());
    const first = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    expect(first).toBe('http/1.1 GET ada');
  });
});
