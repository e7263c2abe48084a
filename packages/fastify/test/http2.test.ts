// @wsgate/fastify on Fastify's HTTP/2 server (`http2: true, https: { allowHTTP1: true }`): an extended
// CONNECT (RFC 8441) is routed as the GET it stands for, through the route's hooks (before the 200, as
// before the 101), with Node's http2 client sending it by hand; HTTP/1.1 upgrades on the same port.
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { HandshakeEvent } from '@wsgate/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
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
import { wsgate } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  app: FastifyInstance;
  origin: string;
  port: number;
  events: HandshakeEvent[];
  hooks: string[];
  session(): Promise<http2.ClientHttp2Session>;
}

type Register = (app: FastifyInstance, events: HandshakeEvent[], hooks: string[]) => Promise<void>;

/** The chat route: an app onRequest hook, a preHandler that answers 401, and the WebSocket handler. */
const chatRoutes = async (instance: FastifyInstance, hooks: string[], gate: () => Promise<void>) => {
  instance.addHook('onRequest', async (request) => {
    hooks.push(`onRequest ${request.method} ${request.raw.httpVersion}`);
  });
  instance.addHook('onResponse', async (request, reply) => {
    if (request.url === '/chat') hooks.push(`onResponse ${reply.statusCode}`);
  });
  const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
    await gate();
    if (request.headers.authorization !== 'Bearer ok') {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'login required' });
    }
  };
  instance.get(
    '/chat',
    { websocket: { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true }, preHandler: requireUser },
    (socket, request) => {
      socket.send(`${request.raw.httpVersionMajor === 2 ? 'h2' : 'http/1.1'} ${request.method}`);
      socket.on('message', (data) => socket.send(String(data)));
    },
  );
  instance.get('/page', async (request) => ({ httpVersion: request.raw.httpVersion }));
};

async function serve(register: Register): Promise<Served> {
  const app = Fastify({
    http2: true,
    https: { ...(await testCredentials()), allowHTTP1: true },
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  const events: HandshakeEvent[] = [];
  const hooks: string[] = [];
  await register(app, events, hooks);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const origin = `https://localhost:${port}`;
  cleanups.push(() => app.close());
  return { app, origin, port, events, hooks, session: () => openSession(origin) };
}

let gate: Promise<void> = Promise.resolve();
const atRoot: Register = async (app, events, hooks) => {
  await app.register(wsgate, {
    onEvent: (event) => event.outcome !== 'close' && events.push(event),
    closeTimeout: 200,
  });
  await chatRoutes(app, hooks, () => gate);
};
const authorized = (origin: string) => ({ origin, authorization: 'Bearer ok' });

describe('Fastify over HTTP/2', () => {
  it('an extended CONNECT runs the route’s hooks before the 200; the handler gets a GET; messages flow', async () => {
    const s = await serve(atRoot);
    const session = await s.session();
    const { socket, headers } = await openWebSocketH2(s.origin, '/chat', {
      session,
      protocols: ['chat.v1', 'chat.v2'],
      headers: authorized(s.origin),
    });
    expect(headers).toMatchObject({ ':status': 200, 'sec-websocket-protocol': 'chat.v2' });
    expect(await nextText(socket)).toBe('h2 GET');
    socket.send('hi');
    expect(await nextText(socket)).toBe('hi');
    expect(s.hooks).toEqual(['onRequest GET 2.0']);
    expect(s.events).toMatchObject([{ outcome: 'accept', status: 200, transport: 'h2' }]);
    const page = session.request({ ':path': '/page' });
    expect(JSON.parse(await readBody(page))).toEqual({ httpVersion: '2.0' });
    await closeSocket(socket);
    session.close();
  });

  it('refusals: the preHandler’s 401 as Fastify wrote it, 403 Origin and 400 no common subprotocol', async () => {
    const s = await serve(atRoot);
    const session = await s.session();
    const unauthorized = await refusedH2(s.origin, '/chat', {
      session,
      protocols: ['chat.v2'],
      headers: { origin: s.origin },
    });
    expect(unauthorized).toMatchObject({ status: 401, body: '{"error":"login required"}', rstCode: 0 });
    expect(unauthorized.headers['www-authenticate']).toBe('Bearer');
    const foreign = await refusedH2(s.origin, '/chat', {
      session,
      protocols: ['chat.v2'],
      headers: authorized('https://evil.example'),
    });
    expect(foreign).toMatchObject({ status: 403, headers: { 'wsgate-code': 'ORIGIN_FORBIDDEN' } });
    const none = await refusedH2(s.origin, '/chat', { session, protocols: ['chat.v9'], headers: authorized(s.origin) });
    expect(none).toMatchObject({ status: 400, headers: { 'wsgate-code': 'NO_SUBPROTOCOL' } });
    expect(s.events.map((event) => [event.code, event.status])).toEqual([
      ['REJECTED', 401],
      ['ORIGIN_FORBIDDEN', 403],
      ['NO_SUBPROTOCOL', 400],
    ]);
    // Fastify's onResponse sees the status each client got, the core's refusals included.
    expect(s.hooks.filter((hook) => hook.startsWith('onResponse'))).toEqual([
      'onResponse 401',
      'onResponse 403',
      'onResponse 400',
    ]);
    session.close();
  });

  it('a CONNECT without :protocol gets 405, a plain GET 400; one without :path is reset by nghttp2 before any hook', async () => {
    const s = await serve(atRoot);
    const session = await s.session();
    const tunnel = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
    const [response] = await once(tunnel, 'response');
    expect(response[':status']).toBe(405);
    await readBody(tunnel);
    const plain = session.request({ ':path': '/chat' }); // a GET without CONNECT: the route's 400 over HTTP/2
    const [answer] = await once(plain, 'response');
    expect(answer).toMatchObject({ ':status': 400, 'wsgate-code': 'NOT_AN_UPGRADE' });
    await readBody(plain);
    const noPath = await rawH2Request(s.port, [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':authority', `localhost:${s.port}`],
      ['sec-websocket-version', '13'],
    ]);
    expect(noPath).toBe('RST_STREAM PROTOCOL_ERROR');
    expect(s.hooks).toEqual(['onResponse 400']); // the plain GET's, answered before the app's hooks (as its 426)
    session.close();
  });

  it('a stream reset while the preHandler awaits: nothing pending, no handler, an abort event', async () => {
    const s = await serve(atRoot);
    const session = await s.session();
    let proceed!: () => void;
    gate = new Promise((resolve) => {
      proceed = resolve;
    });
    try {
      const { stream, response } = requestH2(session, '/chat', {
        protocols: ['chat.v2'],
        headers: authorized(s.origin),
      });
      while (s.app.wsgate.pending === 0 || s.hooks.length === 0) await new Promise((r) => setImmediate(r));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await expect(response).rejects.toMatchObject({ rstCode: http2.constants.NGHTTP2_CANCEL });
      while (s.events.length === 0) await new Promise((r) => setImmediate(r));
      expect(s.events).toMatchObject([{ outcome: 'abort', code: 'CLIENT_GONE', transport: 'h2' }]);
      expect(s.app.wsgate.pending).toBe(0);
    } finally {
      proceed();
      gate = Promise.resolve();
    }
    await new Promise((r) => setImmediate(r));
    expect(s.app.wsgate.connections.size).toBe(0);
    session.close();
  });

  it('twenty WebSockets on one connection; an HTTP/1.1 upgrade on the same port; fastify.close() ends', async () => {
    const s = await serve(atRoot);
    const session = await s.session();
    const opened = await Promise.all(
      Array.from({ length: 20 }, () =>
        openWebSocketH2(s.origin, '/chat', { session, protocols: ['chat.v2'], headers: authorized(s.origin) }),
      ),
    );
    for (const { socket } of opened) expect(await nextText(socket)).toBe('h2 GET');
    const h1 = new WebSocket(`wss://localhost:${s.port}/chat`, ['chat.v2'], {
      rejectUnauthorized: false,
      headers: authorized(s.origin),
    });
    expect(String((await once(h1, 'message'))[0])).toBe('http/1.1 GET');
    const closes = opened.map(({ socket }) => once(socket, 'close'));
    await s.app.close(); // 1001 to every WebSocket, the sessions closed: it returns
    expect((await Promise.all(closes)).map(([code]) => code)).toEqual(opened.map(() => 1001));
  });

  it('registered with fastify-plugin inside an encapsulated context, it serves HTTP/2 the same', async () => {
    const s = await serve(async (app, events, hooks) => {
      await app.register(async (child) => {
        await child.register(
          fp(async (inner) => {
            await inner.register(wsgate, {
              onEvent: (event) => event.outcome !== 'close' && events.push(event),
              closeTimeout: 200,
            });
          }),
        );
        await chatRoutes(child, hooks, () => Promise.resolve());
      });
    });
    const session = await s.session();
    const { socket } = await openWebSocketH2(s.origin, '/chat', {
      session,
      protocols: ['chat.v2'],
      headers: authorized(s.origin),
    });
    expect(await nextText(socket)).toBe('h2 GET');
    await closeSocket(socket);
    session.close();
  });

  it('http2: false advertises nothing; HTTP/1.1 upgrades still work', async () => {
    const s = await serve(async (app, _events, hooks) => {
      await app.register(wsgate, { http2: false, closeTimeout: 200 });
      await chatRoutes(app, hooks, () => Promise.resolve());
    });
    const session = await s.session();
    expect(session.remoteSettings.enableConnectProtocol).toBe(false);
    session.close();
    const h1 = new WebSocket(`wss://localhost:${s.port}/chat`, ['chat.v2'], {
      rejectUnauthorized: false,
      headers: authorized(s.origin),
    });
    expect(String((await once(h1, 'message'))[0])).toBe('http/1.1 GET');
    h1.close();
  });
});
