// The gate on a real node:http2 server over TLS (RFC 8441): Node's http2 client sends the extended CONNECT
// by hand, a ws WebSocket speaks frames over the stream; raw HEADERS frames for what Node's client will not
// send. HTTP/1.1 upgrades on the same port go through the same routes.
import { once } from 'node:events';
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  closeSocket,
  connectH2,
  nextText,
  openWebSocketH2,
  rawH2Request,
  readBody,
  refusedH2,
} from '../../../../test/h2/client.js';
import type { HandshakeEvent, UpgradeRequest } from '../../src/index.js';
import { closeH2Servers, startH2Server } from '../h2-server.js';
import { eventually } from '../helpers.js';

afterEach(closeH2Servers);

const echo = (socket: WebSocket) => socket.on('message', (data, binary) => socket.send(data, { binary }));

describe('accepting over HTTP/2', () => {
  it('200 with the chosen protocol, no key or accept; messages both ways; the handler and the event say h2', async () => {
    const events: HandshakeEvent[] = [];
    let seen: { transport: string; request: UpgradeRequest; hook: string; host: string; secure: boolean } | undefined;
    const s = await startH2Server(
      (gate) =>
        gate.route(
          '/chat',
          { subprotocols: ['chat.v2', 'chat.v1'], onUpgrade: (up) => ({ t: up.transport, h: up.host, s: up.secure }) },
          (socket, { transport, request, context }) => {
            seen = { transport, request, hook: context.t, host: context.h, secure: context.s };
            echo(socket);
          },
        ),
      { onEvent: (event) => event.outcome !== 'close' && events.push(event) },
    );
    const { socket, headers } = await openWebSocketH2(s.origin, '/chat', {
      session: await s.session(),
      protocols: ['chat.v1', 'chat.v2'],
      headers: { origin: s.origin },
    });
    expect(headers[':status']).toBe(200);
    expect(headers['sec-websocket-protocol']).toBe('chat.v2');
    expect(headers['sec-websocket-accept']).toBeUndefined();
    expect(headers['sec-websocket-extensions']).toBeUndefined();
    socket.send('hello over h2');
    expect(await nextText(socket)).toBe('hello over h2');
    expect(seen).toMatchObject({ transport: 'h2', hook: 'h2', host: `localhost:${s.port}`, secure: true });
    expect(seen?.request).toBeInstanceOf(http2.Http2ServerRequest);
    expect(events).toMatchObject([{ outcome: 'accept', status: 200, transport: 'h2', route: '/chat' }]);
    await closeSocket(socket);
  });

  it('cookies split into several fields (RFC 9113 §8.2.3) reach the hook joined, signed ones verified', async () => {
    let cookies: Record<string, string | undefined> | undefined;
    const s = await startH2Server((gate) =>
      gate.route(
        '/ws',
        {
          onUpgrade: (up) => {
            cookies = { ...up.cookies };
            return {};
          },
        },
        echo,
      ),
    );
    const { socket } = await openWebSocketH2(s.origin, '/ws', {
      session: await s.session(),
      headers: { origin: s.origin, cookie: ['a=1', 'b=2'] },
    });
    expect(cookies).toEqual({ a: '1', b: '2' });
    await closeSocket(socket);
  });

  it('an HTTP/1.1 upgrade on the same port reaches the same route (ws without HTTP/2)', async () => {
    const events: HandshakeEvent[] = [];
    const s = await startH2Server(
      (gate) => gate.route('/ws', { subprotocols: ['chat'] }, (socket, { transport }) => socket.send(transport)),
      { onEvent: (event) => event.outcome !== 'close' && events.push(event) },
    );
    const socket = new WebSocket(`wss://localhost:${s.port}/ws`, ['chat'], { rejectUnauthorized: false });
    const [message] = await once(socket, 'message');
    expect(String(message)).toBe('http/1.1');
    expect(events).toMatchObject([{ outcome: 'accept', status: 101, transport: 'http/1.1' }]);
    socket.close();
    await once(socket, 'close');
  });

  it('many WebSockets on one HTTP/2 connection, each with its own messages', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo));
    const session = await s.session();
    const sockets = await Promise.all(
      Array.from({ length: 50 }, () => openWebSocketH2(s.origin, '/ws', { session }).then((o) => o.socket)),
    );
    expect(s.gate.connections.size).toBe(50);
    const replies = await Promise.all(
      sockets.map((socket, i) => {
        const reply = nextText(socket);
        socket.send(`message ${i}`);
        return reply;
      }),
    );
    expect(replies).toEqual(sockets.map((_, i) => `message ${i}`));
    await Promise.all(sockets.map(closeSocket));
    await eventually(() => s.gate.connections.size === 0);
  });

  it('permessage-deflate is negotiated over HTTP/2 as over HTTP/1.1', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', { perMessageDeflate: true }, echo));
    const { stream, headers } = await connectH2(s.origin, '/ws', {
      session: await s.session(),
      headers: { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' },
    });
    expect(headers['sec-websocket-extensions']).toBe('permessage-deflate');
    stream.close();
  });

  it('a server on the stream API (no request listener) takes WebSockets; its own listener gets the rest', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo), {}, { request: null });
    s.server.on('stream', (stream, headers) => {
      if (headers[':method'] !== 'CONNECT') stream.respond({ ':status': 200 }, { endStream: true });
    });
    const session = await s.session();
    const { socket } = await openWebSocketH2(s.origin, '/ws', { session });
    socket.send('x');
    expect(await nextText(socket)).toBe('x');
    const page = session.request({ ':path': '/' });
    const [response] = await once(page, 'response');
    expect(response[':status']).toBe(200);
    await closeSocket(socket);
  });
});

describe('refusing over HTTP/2: the rejection on the stream', () => {
  it('403 ORIGIN_FORBIDDEN, 400 NO_SUBPROTOCOL, the hook’s 401: status, Wsgate-Code, body, then RST NO_ERROR', async () => {
    const s = await startH2Server((gate) => {
      gate.route('/ws', { subprotocols: ['chat'], requireSubprotocol: true }, echo);
      gate.route(
        '/auth',
        { onUpgrade: (up) => up.reject(401, { error: 'login' }, { 'WWW-Authenticate': 'Bearer' }) },
        echo,
      );
    });
    const session = await s.session();
    const foreign = await refusedH2(s.origin, '/ws', {
      session,
      protocols: ['chat'],
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign).toMatchObject({ status: 403, body: '403 Forbidden: ORIGIN_FORBIDDEN\n', rstCode: 0 });
    expect(foreign.headers).toMatchObject({
      'wsgate-code': 'ORIGIN_FORBIDDEN',
      'content-type': 'text/plain; charset=utf-8',
    });
    const none = await refusedH2(s.origin, '/ws', { session, protocols: ['other'] });
    expect(none).toMatchObject({ status: 400, body: '400 Bad Request: NO_SUBPROTOCOL\n' });
    const hook = await refusedH2(s.origin, '/auth', { session });
    expect(hook).toMatchObject({ status: 401, body: '{"error":"login"}' });
    expect(hook.headers['www-authenticate']).toBe('Bearer');
    expect(hook.headers['wsgate-code']).toBeUndefined();
  });

  it.each([
    ['an unknown :protocol: 501', { ':protocol': 'connect-udp' }, 501, 'UNSUPPORTED_PROTOCOL'],
    [
      'version 8: 400 naming 13 (426 needs Upgrade, which HTTP/2 forbids)',
      { 'sec-websocket-version': '8' },
      400,
      'UNSUPPORTED_VERSION',
    ],
    ['no version', { 'sec-websocket-version': null }, 400, 'UNSUPPORTED_VERSION'],
    ['a Host that disagrees with :authority (RFC 9113 §8.3.1)', { host: 'evil.example' }, 400, 'BAD_HOST'],
    [':scheme http over TLS', { ':scheme': 'http' }, 400, 'BAD_CONNECT'],
    ['an :authority the Host policy does not serve', { ':authority': 'evil.example' }, 403, 'HOST_FORBIDDEN'],
    ['a body announced', { 'content-length': '5' }, 400, 'BODY_NOT_ALLOWED'],
  ])('%s', async (_name, headers, status, code) => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo));
    const refused = await refusedH2(s.origin, '/ws', { session: await s.session(), headers });
    expect(refused.status).toBe(status);
    expect(refused.headers['wsgate-code']).toBe(code);
    if (code === 'UNSUPPORTED_VERSION') expect(refused.headers['sec-websocket-version']).toBe('13');
  });

  it('a request that ends its stream with its headers: 400 BAD_CONNECT (no frame could follow)', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo));
    const session = await s.session();
    const stream = session.request(
      { ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/ws', 'sec-websocket-version': '13' },
      { endStream: true },
    );
    const [response] = await once(stream, 'response');
    expect(response).toMatchObject({ ':status': 400, 'wsgate-code': 'BAD_CONNECT' });
    await readBody(stream);
  });

  it('no route for the path: 404 NOT_FOUND; a CONNECT without :protocol (a tunnel): 405, not a half-open stream', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo));
    const session = await s.session();
    expect(await refusedH2(s.origin, '/nope', { session })).toMatchObject({ status: 404 });
    const tunnel = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
    const [response] = await once(tunnel, 'response');
    expect(response).toMatchObject({ ':status': 405, 'wsgate-code': 'METHOD_NOT_ALLOWED' });
    await readBody(tunnel);
    expect(tunnel.rstCode).toBe(0);
  });

  it('no :path, or no :scheme (RFC 8441 §4): nghttp2 resets the stream before it reaches the gate', async () => {
    const events: HandshakeEvent[] = [];
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo), {
      onEvent: (event) => event.outcome !== 'close' && events.push(event),
    });
    const base: Array<[string, string]> = [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':path', '/ws'],
      [':authority', `localhost:${s.port}`],
      ['sec-websocket-version', '13'],
    ];
    expect(await rawH2Request(s.port, base)).toBe('HEADERS :status 200');
    for (const missing of [':path', ':scheme']) {
      expect(
        await rawH2Request(
          s.port,
          base.filter(([name]) => name !== missing),
        ),
      ).toBe('RST_STREAM PROTOCOL_ERROR');
    }
    expect(await rawH2Request(s.port, [...base, ['sec-websocket-version', '13']])).toBe('HEADERS :status 400');
    await eventually(() => events.length === 2);
    expect(events.map((event) => event.outcome)).toEqual(['accept', 'reject']);
  });

  it('a plain GET over HTTP/2 on a route’s path (handleRequest): 400 NOT_AN_UPGRADE, no Upgrade field', async () => {
    const s = await startH2Server(
      (gate) => gate.route('/ws', {}, echo),
      {},
      {
        request: (request, response) => {
          if (!s.gate.handleRequest(request, response)) response.end('page');
        },
      },
    );
    const get = (await s.session()).request({ ':path': '/ws' });
    const [response] = await once(get, 'response');
    expect(response).toMatchObject({ ':status': 400, 'wsgate-code': 'NOT_AN_UPGRADE' });
    expect(response.upgrade).toBeUndefined();
    expect(await readBody(get)).toBe('400 Bad Request: NOT_AN_UPGRADE\n');
  });

  it('a header with CR from the hook: 500 HOOK_FAILED, reported, never on the wire', async () => {
    const errors: unknown[] = [];
    const s = await startH2Server(
      (gate) =>
        gate.route(
          '/ws',
          {
            onUpgrade: (up) => {
              up.setHeader('x-note', 'a\r\nx-injected: 1');
              return {};
            },
          },
          echo,
        ),
      { onError: (error) => errors.push(error) },
    );
    const refused = await refusedH2(s.origin, '/ws', { session: await s.session() });
    expect(refused).toMatchObject({ status: 500, body: '500 Internal Server Error: HOOK_FAILED\n' });
    expect(refused.headers['x-injected']).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('HANDSHAKE_TIMEOUT: a hook that never settles gets 503 with Retry-After at the deadline', async () => {
    const s = await startH2Server((gate) =>
      gate.route('/ws', { handshakeTimeout: 50, onUpgrade: () => new Promise(() => {}) }, echo),
    );
    const refused = await refusedH2(s.origin, '/ws', { session: await s.session() });
    expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '1', 'wsgate-code': 'HANDSHAKE_TIMEOUT' } });
    expect(s.gate.pending).toBe(0);
  });
});
