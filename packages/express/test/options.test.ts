/**
 * The core's checks and options through the adapter: what runs before the middleware, per-app and per-route
 * options, trust proxy, cookie-parser's cookies, the typed context, deadlines, and the socket after the 101.
 */

import { once } from 'node:events';
import { reject, signCookie } from '@wsgate/core';
import cookieParser from 'cookie-parser';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import { wsgate } from '../src/index.js';
import {
  deferred,
  expectOpen,
  expectRefused,
  handshake,
  nextMessage,
  raw,
  receivedUntil,
  serve,
  serverText,
  versions,
} from './helpers.js';

describe('the core checks run before any middleware', () => {
  it('a malformed handshake, a forbidden Host and a POST never reach the app', async () => {
    const middleware = vi.fn((_req, _res, next) => next());
    const app = wsgate(express(), { hosts: ['127.0.0.1:*'] });
    app.use(middleware);
    app.ws('/chat', () => {});
    const { port } = await serve(app);

    const badKey = await raw(port);
    badKey.write(handshake(port, '/chat').replace(/Sec-WebSocket-Key: [^\r]+/, 'Sec-WebSocket-Key: short'));
    await badKey.gone;
    expect(badKey.received().toString()).toMatch(/^HTTP\/1\.1 400 /);

    const rebinding = await raw(port);
    rebinding.write(handshake(port, '/chat').replace(/Host: [^\r]+/, `Host: evil.example:${port}`));
    await rebinding.gone;
    expect(rebinding.received().toString()).toMatch(/^HTTP\/1\.1 403 /);

    const post = await raw(port);
    post.write(handshake(port, '/chat').replace('GET', 'POST'));
    await post.gone;
    expect(post.received().toString()).toMatch(/^HTTP\/1\.1 405 [\s\S]*\r\nAllow: GET\r\n/);

    expect(middleware).not.toHaveBeenCalled();
  });
});

describe('origin, subprotocols and other options, per app and per route', () => {
  it('same-origin by default; a route may list its own origins', async () => {
    const app = wsgate(express());
    app.ws('/own', (socket) => socket.send('own'));
    app.ws('/partner', { origin: ['https://partner.example'] }, (socket) => socket.send('partner'));
    const { url, origin } = await serve(app);
    await expectOpen(url('/own'), { headers: { Origin: origin } });
    const cross = await expectRefused(url('/own'), { headers: { Origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    await expectOpen(url('/partner'), { headers: { Origin: 'https://partner.example' } });
    expect((await expectRefused(url('/partner'), { headers: { Origin: origin } })).status).toBe(403);
  });

  it('subprotocols from the app, overridden per route; requireSubprotocol gives 400', async () => {
    const app = wsgate(express(), { subprotocols: ['app.v1'] });
    app.ws('/app', (socket) => socket.send(socket.protocol));
    app.ws('/chat', { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true }, (socket) =>
      socket.send(socket.protocol),
    );
    const { url } = await serve(app);
    const first = await expectOpen(url('/app'), { protocols: ['x', 'app.v1'] });
    expect([first.protocol, await nextMessage(first)]).toEqual(['app.v1', 'app.v1']);
    const chat = await expectOpen(url('/chat'), { protocols: ['chat.v1', 'chat.v2'] });
    expect(await nextMessage(chat)).toBe('chat.v2');
    const none = await expectRefused(url('/chat'), { protocols: ['app.v1'] });
    expect(none.status).toBe(400);
  });

  it('the onUpgrade context reaches the handler; a route hook replaces the app hook; a hook may reject', async () => {
    const app = wsgate(express(), {
      onUpgrade: (upgrade) => ({ who: upgrade.request.headers['x-user'] ?? 'nobody' }),
    });
    app.ws('/app', (socket, _req, context) => socket.send(JSON.stringify(context)));
    app.ws('/undefined-hook', { onUpgrade: undefined }, (socket, _req, context) =>
      socket.send(JSON.stringify(context)),
    );
    app.ws(
      '/admin',
      {
        onUpgrade: (upgrade) =>
          upgrade.request.headers['x-user'] === 'root'
            ? { admin: true }
            : upgrade.reject(403, { error: 'admins only' }),
      },
      (socket, _req, context) => socket.send(JSON.stringify(context)),
    );
    const { url } = await serve(app);
    const socket = await expectOpen(url('/app'), { headers: { 'x-user': 'ada' } });
    expect(JSON.parse(await nextMessage(socket))).toEqual({ who: 'ada' });
    // An option left undefined keeps the app's default.
    const same = await expectOpen(url('/undefined-hook'));
    expect(JSON.parse(await nextMessage(same))).toEqual({ who: 'nobody' });
    const admin = await expectOpen(url('/admin'), { headers: { 'x-user': 'root' } });
    expect(JSON.parse(await nextMessage(admin))).toEqual({ admin: true });
    const refused = await expectRefused(url('/admin'), { headers: { 'x-user': 'ada' } });
    expect([refused.status, JSON.parse(refused.body)]).toEqual([403, { error: 'admins only' }]);
  });

  it('the handshake deadline covers the middleware: 503, unless the app has started its own response', async () => {
    const app = wsgate(express(), { handshakeTimeout: 50 });
    const late = deferred();
    app.ws(
      '/stuck',
      () => {},
      () => {},
    );
    app.ws(
      '/streaming',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part one, ');
        void late.promise.then(() => res.end('part two'));
      },
      () => {},
    );
    // From the handler on, the route's own deadline (0: none) replaces the app's: a slow hook is fine here.
    const slowHook = () => new Promise<string>((resolve) => setTimeout(() => resolve('made it'), 80));
    app.ws('/patient', { handshakeTimeout: 0, onUpgrade: slowHook }, (socket, _req, context) => socket.send(context));
    const { url, port } = await serve(app);
    const stuck = await expectRefused(url('/stuck'));
    expect(stuck.status).toBe(503);
    expect(stuck.headers['retry-after']).toBe('1');

    const client = await raw(port);
    client.write(handshake(port, '/streaming'));
    await receivedUntil(client, (data) => data.includes('part one, '));
    // Well past the deadline: the response the app started is left alone.
    await new Promise((resolve) => setTimeout(resolve, 100));
    late.resolve();
    await client.gone;
    const text = client.received().toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('part one, ');
    expect(text).toContain('part two');
    expect(text.endsWith('\r\n0\r\n\r\n')).toBe(true); // the last chunk: the whole response

    const patient = await expectOpen(url('/patient'));
    expect(await nextMessage(patient)).toBe('made it');
  });

  it('maxPayload and perMessageDeflate per route; an oversize message closes with 1009, never crashes', async () => {
    const app = wsgate(express(), { maxPayload: 16 });
    app.ws('/small', (socket) => socket.on('message', () => socket.send('got it')));
    app.ws('/deflate', { perMessageDeflate: true, maxPayload: 1024 }, (socket) =>
      socket.on('message', (data) => socket.send(`got ${String(data).length}`)),
    );
    const { url } = await serve(app);
    const small = await expectOpen(url('/small'));
    expect(small.extensions).toBe('');
    small.send('x'.repeat(17));
    const [code] = (await once(small, 'close')) as [number];
    expect(code).toBe(1009);
    const deflate = await expectOpen(url('/deflate'));
    expect(deflate.extensions).toContain('permessage-deflate');
    deflate.send('y'.repeat(100));
    expect(await nextMessage(deflate)).toBe('got 100');
  });

  it("onEvent: every outcome, with the route's path also when the app answered in the route's middleware", async () => {
    const events: Array<[string, string | undefined, number | undefined, string | undefined]> = [];
    const app = wsgate(express(), {
      onEvent: (event) =>
        event.outcome !== 'close' && events.push([event.outcome, event.code, event.status, event.route]),
    });
    app.use((req, res, next) => (req.path === '/blocked' ? void res.sendStatus(429) : next()));
    app.ws(
      '/chat',
      (req, res, next) => (req.get('x-user') ? next() : void res.sendStatus(401)),
      () => {},
    );
    const { url } = await serve(app);
    await expectOpen(url('/chat'), { headers: { 'x-user': 'ada' } });
    await expectRefused(url('/chat'));
    await expectRefused(url('/chat'), { headers: { 'x-user': 'ada', Origin: 'https://evil.example' } });
    await expectRefused(url('/blocked'));
    await vi.waitFor(() => expect(events).toHaveLength(4));
    expect(events).toEqual([
      ['accept', undefined, 101, '/chat'],
      ['reject', 'REJECTED', 401, '/chat'],
      ['reject', 'ORIGIN_FORBIDDEN', 403, '/chat'],
      ['reject', 'REJECTED', 429, undefined],
    ]);
  });

  it('invalid route options throw where the route is declared, for app.ws and router.ws', () => {
    const app = wsgate(express());
    expect(() => app.ws('/x', { origin: ['https://a.example/'] }, () => {})).toThrow(TypeError);
    expect(() => express.Router().ws('/x', { origin: ['not an origin'] }, () => {})).toThrow(TypeError);
    expect(() => (app.ws as (...args: unknown[]) => unknown)('/x', {})).toThrow(/takes functions after the options/);
    expect(() => wsgate(app)).toThrow(/already/);
  });

  it('a handler written as middleware, (req, res) => …, is a TypeError where it is written, not after the 101', () => {
    const app = wsgate(express());
    const ws = app.ws as (...args: unknown[]) => unknown;
    const shaped = [
      (req: unknown, res: unknown) => [req, res],
      async (request: unknown) => request,
      (req: unknown, res: unknown, next: unknown) => [req, res, next],
      async function named(req: unknown) {
        return req;
      },
      (req: unknown) => req,
    ];
    for (const handler of shaped) {
      expect(() => ws('/x', handler)).toThrow(/first parameter is named "req(uest)?": a middleware/);
      expect(() => ws('/x', {}, (_req: unknown, _res: unknown, next: () => void) => next(), handler)).toThrow(
        TypeError,
      );
      expect(() => express.Router().ws('/x', handler as never)).toThrow(/the last function is the handler/);
    }
    // A handler is (socket, req, …): never refused, whatever else it is named.
    app.ws('/ok', (socket, req) => socket.send(req.path));
    app.ws('/ok2', async (ws, request) => ws.send(request.path));
    app.ws('/ok3', (requestSocket) => requestSocket.close());
  });
});

describe.each(versions)('%s: facts from Express', (_name, express) => {
  it("trust proxy: the same-origin check uses Express's scheme and host (X-Forwarded-Proto / -Host)", async () => {
    const proxied = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'chat.example:8443' };
    const trusting = wsgate(express(), { hosts: ['127.0.0.1:*', 'chat.example:8443'] });
    trusting.set('trust proxy', 'loopback');
    trusting.ws('/chat', (socket, req) => socket.send(`${req.protocol} ${req.hostname}`));
    const behindProxy = await serve(trusting);
    const socket = await expectOpen(behindProxy.url('/chat'), {
      headers: { ...proxied, Origin: 'https://chat.example:8443' },
    });
    expect(await nextMessage(socket)).toBe('https chat.example');
    // The request's own origin is no longer "same" once the proxy's word is taken.
    const direct = await expectRefused(behindProxy.url('/chat'), {
      headers: { ...proxied, Origin: behindProxy.origin },
    });
    expect(direct.status).toBe(403);

    const distrusting = wsgate(express(), { hosts: ['127.0.0.1:*', 'chat.example:8443'] });
    distrusting.ws('/chat', (socket) => socket.send('ok'));
    const exposed = await serve(distrusting);
    const spoofed = await expectRefused(exposed.url('/chat'), {
      headers: { ...proxied, Origin: 'https://chat.example:8443' },
    });
    expect(spoofed.status).toBe(403);
    await expectOpen(exposed.url('/chat'), { headers: { ...proxied, Origin: exposed.origin } });
  });

  it('trust proxy: a forwarded host the Host policy does not serve is refused, whatever Origin matches it (DNS rebinding)', async () => {
    // nginx's `proxy_set_header X-Forwarded-Host $host` with its default upstream Host: a rebound page's name
    // arrives forwarded, and its Origin is "same-origin" with it.
    const app = wsgate(express(), { hosts: ['127.0.0.1:*'] });
    app.set('trust proxy', 'loopback');
    app.ws('/chat', (socket) => socket.send('ok'));
    const { url } = await serve(app);
    const rebound = await expectRefused(url('/chat'), {
      headers: { 'X-Forwarded-Host': 'evil.example', Origin: 'http://evil.example' },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.headers['wsgate-code']).toBe('HOST_FORBIDDEN');
  });

  it("cookie-parser's req.cookies and req.signedCookies are what onUpgrade sees; forged and JSON cookies are not", async () => {
    const secret = 'cookie secret';
    const app = wsgate(express(), {
      onUpgrade: (upgrade) => {
        const user = upgrade.signedCookies.sid;
        if (user === undefined) return upgrade.reject(401, { error: 'login required' });
        return { user, cookies: { ...upgrade.cookies } };
      },
    });
    app.use(cookieParser(secret));
    app.ws('/chat', (socket, _req, context) => socket.send(JSON.stringify(context)));
    const { url, origin } = await serve(app);
    const sid = `sid=${encodeURIComponent(signCookie('ada', secret))}`;
    const json = `prefs=${encodeURIComponent('j:{"theme":"dark"}')}`;
    const socket = await expectOpen(url('/chat'), { headers: { Origin: origin, Cookie: `${sid}; ${json}; plain=1` } });
    // cookie-parser moves signed cookies out of req.cookies; the JSON one is an object there, so it is left out.
    expect(JSON.parse(await nextMessage(socket))).toEqual({ user: 'ada', cookies: { plain: '1' } });

    const forged = `sid=${encodeURIComponent(signCookie('ada', 'another secret'))}`;
    const refused = await expectRefused(url('/chat'), { headers: { Origin: origin, Cookie: forged } });
    expect([refused.status, JSON.parse(refused.body)]).toEqual([401, { error: 'login required' }]);
  });

  it("without cookie-parser's secret, the gate's cookieSecret verifies signed cookies", async () => {
    const app = wsgate(express(), {
      cookieSecret: 'gate secret',
      onUpgrade: (upgrade) => upgrade.signedCookies.sid ?? reject.rejected(401),
    });
    app.use(cookieParser());
    app.ws('/chat', (socket, _req, user) => socket.send(String(user)));
    const { url, origin } = await serve(app);
    const cookie = `sid=${encodeURIComponent(signCookie('grace', 'gate secret'))}`;
    const socket = await expectOpen(url('/chat'), { headers: { Origin: origin, Cookie: cookie } });
    expect(await nextMessage(socket)).toBe('grace');
  });
});

describe('after the 101', () => {
  it('nothing Express writes later reaches the socket', async () => {
    const wrote = deferred();
    const app = wsgate(express());
    app.use((_req, res, next) => {
      next();
      setImmediate(() => {
        res.setHeader('x-late', '1');
        res.end('LATE RESPONSE');
        wrote.resolve();
      });
    });
    app.ws('/chat', (socket) => socket.on('message', (data) => socket.send(`echo ${String(data)}`)));
    const { port, url } = await serve(app);
    const client = await raw(port);
    client.write(handshake(port, '/chat'));
    await receivedUntil(client, (data) => data.includes('\r\n\r\n'));
    await wrote.promise;
    const socket = await expectOpen(url('/chat'));
    socket.send('still fine');
    expect(await nextMessage(socket)).toBe('echo still fine');
    await new Promise((resolve) => setImmediate(resolve));
    const text = client.received().toString();
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*\r\n\r\n$/);
    expect(text).not.toContain('LATE');
  });

  it('a handler that throws or rejects: the socket closes with 1011 and onError hears of it', async () => {
    const onError = vi.fn();
    const app = wsgate(express(), { onError });
    app.ws('/throws', () => {
      throw new Error('sync bug');
    });
    app.ws('/rejects', async () => {
      throw new Error('async bug');
    });
    const { url } = await serve(app);
    for (const path of ['/throws', '/rejects']) {
      const socket = await expectOpen(url(path));
      const [code] = (await once(socket, 'close')) as [number];
      expect(code).toBe(1011);
    }
    expect(onError.mock.calls.map(([error]) => (error as Error).message)).toEqual(['sync bug', 'async bug']);
  });

  it('close(): open sockets get 1001 and new handshakes 503', async () => {
    const app = wsgate(express());
    app.ws('/chat', () => {});
    const { url } = await serve(app);
    const socket = await expectOpen(url('/chat'));
    const closed = once(socket, 'close');
    await app.wsgate.close({ timeout: 1000 });
    expect((await closed)[0]).toBe(1001);
    expect((await expectRefused(url('/chat'))).status).toBe(503);
  });

  it('a server frame right after the 101 is parsed by a raw client too', async () => {
    const app = wsgate(express());
    app.ws('/hello', (socket) => socket.send('hello'));
    const { port } = await serve(app);
    const client = await raw(port);
    client.write(handshake(port, '/hello'));
    const data = await receivedUntil(client, (bytes) => {
      const end = bytes.indexOf('\r\n\r\n');
      return end !== -1 && serverText(bytes, end + 4) !== undefined;
    });
    expect(serverText(data, data.indexOf('\r\n\r\n') + 4)).toBe('hello');
  });
});
