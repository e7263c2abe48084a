import { once } from 'node:events';
import Router from '@koa/router';
import { quotaPerRoute } from '@wsgate/core';
import type Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { isWebSocketUpgrade, requireUpgrade } from '../src/index.js';
import {
  accepted,
  cleanup,
  clientTextFrame,
  deferred,
  koaVersions,
  nextMessage,
  raw,
  readAll,
  readUntil,
  refused,
  serve,
  upgradeRequest,
} from './helpers.js';

afterEach(cleanup);

/** Logs in through the app itself and returns the Cookie header a browser would send back. */
async function login(port: number, name: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/login?name=${encodeURIComponent(name)}`, {
    method: 'POST',
  });
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

describe.each(koaVersions)('%s', (_name, KoaClass) => {
  /** The shape most apps have: a signed session cookie, an auth middleware, @koa/router. */
  function chatApp(app: Koa, ws: Parameters<Parameters<typeof serve>[1]>[1], errors: unknown[] = []) {
    app.keys = ['test-secret'];
    app.on('error', (error) => errors.push(error));
    const router = new Router();
    router.post('/login', (ctx) => {
      ctx.cookies.set('sid', String(ctx.query.name), { signed: true });
      ctx.status = 204;
    });
    const requireUser: Koa.Middleware = async (ctx, next) => {
      const user = ctx.cookies.get('sid', { signed: true });
      if (!user) ctx.throw(401, 'login required');
      ctx.state.user = user;
      await next();
    };
    router.get(
      '/rooms/:room',
      requireUser,
      ws.route({}, (socket, ctx) => {
        socket.send(
          JSON.stringify({
            user: ctx.state.user,
            room: ctx.params.room,
            cookie: ctx.cookies.get('sid', { signed: true }),
          }),
        );
      }),
    );
    app.use(router.routes());
  }

  it('answers 401 from ctx.throw in an auth middleware, as a real HTTP response', async () => {
    const errors: unknown[] = [];
    const { url } = await serve(KoaClass, (app, ws) => chatApp(app, ws, errors));
    const answer = await refused(`${url}/rooms/lobby`);
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('login required');
    expect(answer.headers.connection).toBe('close');
    // Koa emits expose-able 4xx errors on 'error' too, exactly as for an HTTP request.
    expect(errors).toHaveLength(1);
    expect((errors[0] as { status: number }).status).toBe(401);
  });

  it("checks Origin and subprotocols before the route's own middleware given to ws.route", async () => {
    let authCalls = 0;
    const { url } = await serve(KoaClass, (app, ws) => {
      const router = new Router();
      const requireUser: Koa.Middleware = async (ctx, next) => {
        authCalls++;
        if (!ctx.get('x-user')) ctx.throw(401, 'login required');
        await next();
      };
      router.get(
        '/chat',
        ws.route({ subprotocols: ['chat.v2'], requireSubprotocol: true }, requireUser, () => {}),
      );
      app.use(router.routes());
    });
    expect((await refused(`${url}/chat`, ['chat.v2'], { origin: 'http://evil.example' })).status).toBe(403);
    expect((await refused(`${url}/chat`, ['chat.v9'])).status).toBe(400);
    expect(authCalls).toBe(0);
    // Past those checks, the route's middleware answers as usual.
    expect((await refused(`${url}/chat`, ['chat.v2'])).status).toBe(401);
    expect(authCalls).toBe(1);
    const ok = await accepted(`${url}/chat`, ['chat.v2'], { headers: { 'x-user': 'ada' } });
    expect(ok.socket.protocol).toBe('chat.v2');
  });

  it('gives the handler ctx.state, verified signed cookies (app.keys) and ctx.params', async () => {
    const { url, port } = await serve(KoaClass, (app, ws) => chatApp(app, ws));
    const cookie = await login(port, 'alice');
    expect(cookie).toMatch(/sid=alice; sid\.sig=/);
    // A browser sends Origin with its cookies (and a client with cookies but no Origin is refused by default).
    const origin = `http://127.0.0.1:${port}`;
    const { socket } = await accepted(`${url}/rooms/lobby`, [], { origin, headers: { Cookie: cookie } });
    expect(JSON.parse(await nextMessage(socket))).toEqual({ user: 'alice', room: 'lobby', cookie: 'alice' });
  });

  it('refuses a forged signed cookie with the middleware 401', async () => {
    const { url, port } = await serve(KoaClass, (app, ws) => chatApp(app, ws));
    const cookie = (await login(port, 'alice')).replace('sid=alice', 'sid=mallory');
    const answer = await refused(`${url}/rooms/lobby`, [], {
      origin: `http://127.0.0.1:${port}`,
      headers: { Cookie: cookie },
    });
    expect(answer.status).toBe(401);
  });

  it('sends ctx.status = 403 with a body as set by the middleware', async () => {
    const { url } = await serve(KoaClass, (app, ws) => {
      app.use(async (ctx, next) => {
        if (ctx.get('X-Token') !== 'ok') {
          ctx.status = 403;
          ctx.body = { error: 'no token' };
          return;
        }
        await next();
      });
      app.use(ws.route((socket) => socket.send('hi')));
    });
    const answer = await refused(url);
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ error: 'no token' });
    const { socket } = await accepted(url, [], { headers: { 'X-Token': 'ok' } });
    expect(await nextMessage(socket)).toBe('hi');
  });

  it("reports a thrown error through Koa's error handling and app.on('error'), the client gets 500", async () => {
    const errors: Array<{ error: Error; path: string | undefined }> = [];
    const { url } = await serve(KoaClass, (app, ws) => {
      app.on('error', (error: Error, ctx?: Koa.Context) => errors.push({ error, path: ctx?.path }));
      app.use(async () => {
        throw new Error('boom');
      });
      app.use(ws.route(() => {}));
    });
    const answer = await refused(`${url}/chat`);
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('Internal Server Error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error.message).toBe('boom');
    expect(errors[0]?.path).toBe('/chat');
  });

  it("lets the app's own error-handling middleware shape the answer", async () => {
    const { url } = await serve(KoaClass, (app, ws) => {
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          ctx.status = 418;
          ctx.body = `handled: ${(error as Error).message}`;
        }
      });
      app.use(async () => {
        throw new Error('teapot');
      });
      app.use(ws.route(() => {}));
    });
    const answer = await refused(`${url}/chat`);
    expect(answer.status).toBe(418);
    expect(answer.body).toBe('handled: teapot');
  });

  it('answers what Koa answers (404) when no middleware takes the upgrade', async () => {
    const { url } = await serve(KoaClass, (app, ws) => {
      const router = new Router();
      router.get(
        '/chat',
        ws.route(() => {}),
      );
      app.use(router.routes());
    });
    const answer = await refused(`${url}/elsewhere`);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe('Not Found');
  });

  it('closes the connection after an HTTP answer, even to a client that would keep it alive', async () => {
    const { port } = await serve(KoaClass, (app) => {
      app.use((ctx) => {
        ctx.body = 'plain';
      });
    });
    const client = await raw(port);
    const all = readAll(client);
    client.write(upgradeRequest(port, '/x', { Connection: 'keep-alive, Upgrade' }));
    const text = await all;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/\r\nConnection: close\r\n/i);
    expect(text.endsWith('\r\n\r\nplain')).toBe(true);
  });

  it('delivers a frame sent in the same TCP packet as the request (head bytes)', async () => {
    const { port } = await serve(KoaClass, (app, ws) => {
      app.use(async (_ctx, next) => {
        await new Promise((resolve) => setImmediate(resolve)); // async middleware in between
        await next();
      });
      app.use(ws.route((socket) => socket.on('message', (data) => socket.send(`echo:${data}`))));
    });
    const client = await raw(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest(port)), clientTextFrame('early')]));
    const bytes = await readUntil(client, (b) => b.includes('echo:early'));
    const text = bytes.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(text.endsWith('\x81\x0aecho:early')).toBe(true);
  });

  it('never calls the handler when the client leaves during async middleware, and leaks nothing', async () => {
    const reached = deferred();
    const release = deferred();
    let handled = 0;
    const errors: unknown[] = [];
    const { port, ws, server } = await serve(KoaClass, (app, ws) => {
      app.on('error', (error) => errors.push(error));
      app.use(async (_ctx, next) => {
        reached.resolve();
        await release.promise;
        await next();
      });
      app.use(
        ws.route(() => {
          handled++;
        }),
      );
    });
    const client = await raw(port);
    client.write(upgradeRequest(port));
    await reached.promise;
    expect(ws.gate.pending).toBe(1);
    client.destroy();
    await once(client, 'close');
    await new Promise<void>((resolve) => {
      const poll = () => (ws.gate.pending === 0 ? resolve() : setImmediate(poll));
      poll();
    });
    release.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toBe(0);
    expect(errors).toEqual([]);
    expect(ws.gate.connections.size).toBe(0);
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    expect(count).toBe(0);
  });

  it('answers 503 at the handshake deadline when the middleware is too slow, without Koa noise', async () => {
    const release = deferred();
    let handled = 0;
    const errors: unknown[] = [];
    const { url } = await serve(
      KoaClass,
      (app, ws) => {
        app.on('error', (error) => errors.push(error));
        app.use(async (_ctx, next) => {
          await release.promise;
          await next();
        });
        app.use(
          ws.route(() => {
            handled++;
          }),
        );
      },
      { handshakeTimeout: 50 },
    );
    const answer = await refused(url);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    release.resolve();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handled).toBe(0);
    expect(errors).toEqual([]);
  });

  it('runs the core checks before any middleware (Host policy, bad key)', async () => {
    let ran = 0;
    const { url, port } = await serve(
      KoaClass,
      (app, ws) => {
        app.use(async (_ctx, next) => {
          ran++;
          await next();
        });
        app.use(ws.route(() => {}));
      },
      { hosts: ['good.example:80'] },
    );
    expect((await refused(url)).status).toBe(403);
    const client = await raw(port);
    const all = readAll(client);
    client.write(upgradeRequest(port, '/chat', { Host: 'good.example', 'Sec-WebSocket-Key': 'short' }));
    expect(await all).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(ran).toBe(0);
  });

  it('checks the Connection header: Upgrade without it is a plain request, answered 426 by the route', async () => {
    const { port } = await serve(KoaClass, (app, ws) => {
      app.use(ws.route(() => {}));
    });
    const client = await raw(port);
    const all = readAll(client);
    client.write(upgradeRequest(port, '/chat', { Connection: 'close' }));
    const text = await all;
    expect(text).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(text).toMatch(/\r\nUpgrade: websocket\r\n/i);
    expect(text).not.toMatch(/Sec-WebSocket-Accept/i);
  });

  it('answers 426 to a plain GET on a WebSocket route, through Koa', async () => {
    const { port } = await serve(KoaClass, (app, ws) => {
      const router = new Router();
      router.get(
        '/chat',
        ws.route(() => {}),
      );
      app.use(router.routes());
    });
    const response = await fetch(`http://127.0.0.1:${port}/chat`);
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(await response.text()).toBe('426 Upgrade Required: NOT_AN_UPGRADE\n');
  });

  it('answers 426 before the auth middleware with requireUpgrade first in the chain', async () => {
    const { port, url } = await serve(KoaClass, (app, ws) => {
      const router = new Router();
      router.get(
        '/chat',
        requireUpgrade,
        (ctx) => ctx.throw(401),
        ws.route(() => {}),
      );
      app.use(router.routes());
    });
    expect((await fetch(`http://127.0.0.1:${port}/chat`)).status).toBe(426);
    expect((await refused(`${url}/chat`)).status).toBe(401);
  });

  it('applies per-route subprotocols and per-app defaults', async () => {
    const { url } = await serve(
      KoaClass,
      (app, ws) => {
        const router = new Router();
        router.get(
          '/v',
          ws.route({ subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true }, (socket, _ctx, { protocol }) =>
            socket.send(String(protocol)),
          ),
        );
        router.get(
          '/any',
          ws.route((socket, _ctx, { protocol }) => socket.send(String(protocol))),
        );
        app.use(router.routes());
      },
      { subprotocols: ['app.v1'] },
    );
    const v = await accepted(`${url}/v`, ['chat.v1', 'chat.v2']);
    expect(v.socket.protocol).toBe('chat.v2');
    expect(await nextMessage(v.socket)).toBe('chat.v2');
    expect((await refused(`${url}/v`, ['other'])).status).toBe(400);
    const any = await accepted(`${url}/any`, ['app.v1']);
    expect(await nextMessage(any.socket)).toBe('app.v1');
  });

  it('applies a per-route deadline and a per-route quota (named by the router pattern)', async () => {
    const routes: Array<string | undefined> = [];
    const { url } = await serve(
      KoaClass,
      (app, ws) => {
        const router = new Router();
        router.get(
          '/slow',
          ws.route(
            {
              handshakeTimeout: 50,
              onUpgrade: (upgrade) =>
                new Promise<undefined>((resolve) => upgrade.signal.addEventListener('abort', () => resolve(undefined))),
            },
            () => {},
          ),
        );
        router.get(
          '/rooms/:room',
          ws.route({ quotas: [quotaPerRoute(1)] }, () => {}),
        );
        app.use(router.routes());
      },
      { onEvent: (event) => routes.push(event.route) },
    );
    const slow = await refused(`${url}/slow`);
    expect(slow.status).toBe(503);
    const first = await accepted(`${url}/rooms/a`);
    const second = await refused(`${url}/rooms/b`);
    expect(second.status).toBe(429);
    expect(routes).toEqual(['/slow', '/rooms/:room', '/rooms/:room']);
    first.socket.close();
  });

  it('types and passes the onUpgrade context, which sees the Koa ctx and may reject', async () => {
    const { url } = await serve(KoaClass, (app, ws) => {
      app.use(async (ctx, next) => {
        ctx.state.user = ctx.get('X-User');
        await next();
      });
      app.use(
        ws.route(
          {
            onUpgrade: (upgrade, ctx) =>
              ctx.state.user === 'bob' ? upgrade.reject(403, { error: 'not bob' }) : { name: ctx.state.user as string },
          },
          (socket, _ctx, { context }) => socket.send(context.name),
        ),
      );
    });
    const { socket } = await accepted(`${url}/chat`, [], { headers: { 'X-User': 'carol' } });
    expect(await nextMessage(socket)).toBe('carol');
    const answer = await refused(`${url}/chat`, [], { headers: { 'X-User': 'bob' } });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({ error: 'not bob' });
  });

  it("reports an onUpgrade hook that throws on app.on('error'); the client gets 500", async () => {
    const errors: Array<{ error: Error; path: string | undefined }> = [];
    const { url } = await serve(KoaClass, (app, ws) => {
      app.on('error', (error: Error, ctx?: Koa.Context) => errors.push({ error, path: ctx?.path }));
      app.use(
        ws.route(
          {
            onUpgrade: () => {
              throw new Error('hook broke');
            },
          },
          () => {},
        ),
      );
    });
    const answer = await refused(`${url}/hook`);
    expect(answer.status).toBe(500);
    expect(answer.body).not.toContain('hook broke');
    expect(errors.map((e) => [e.error.message, e.path])).toEqual([['hook broke', '/hook']]);
  });

  it("reports a handler that throws or rejects on app.on('error'), with its ctx, and closes the socket with 1011", async () => {
    const errors: Array<[string, string | undefined]> = [];
    const { url } = await serve(KoaClass, (app, ws) => {
      app.on('error', (error: Error, ctx?: Koa.Context) => errors.push([error.message, ctx?.path]));
      app.use(
        ws.route((_socket, ctx) => {
          if (ctx.path === '/throws') throw new Error('handler threw');
          return Promise.reject(new Error('handler rejected'));
        }),
      );
    });
    for (const path of ['/rejects', '/throws']) {
      const { socket } = await accepted(`${url}${path}`);
      const [code] = await once(socket, 'close');
      expect(code).toBe(1011);
    }
    expect(errors).toEqual([
      ['handler rejected', '/rejects'],
      ['handler threw', '/throws'],
    ]);
  });

  it('honours app.proxy for the same-origin check (ctx.secure / ctx.host)', async () => {
    const forwarded = {
      Origin: 'https://chat.example',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'chat.example',
    };
    const setup = (app: Koa, ws: Parameters<Parameters<typeof serve>[1]>[1]) => {
      app.use(ws.route((socket, ctx) => socket.send(`${ctx.protocol}://${ctx.host}`)));
    };
    const hosts = ['127.0.0.1:*', 'chat.example'];
    const behind = await serve(
      KoaClass,
      (app, ws) => {
        app.proxy = true;
        setup(app, ws);
      },
      { hosts },
    );
    const { socket } = await accepted(behind.url, [], { headers: forwarded });
    expect(await nextMessage(socket)).toBe('https://chat.example');
    // Same origin with the socket's own scheme and Host still works behind the proxy setting...
    await accepted(behind.url, [], { origin: `http://127.0.0.1:${behind.port}` });

    // ...and without app.proxy the forwarded headers are not believed.
    const direct = await serve(KoaClass, setup, { hosts });
    expect((await refused(direct.url, [], { headers: forwarded })).status).toBe(403);
    await accepted(direct.url, [], { origin: `http://127.0.0.1:${direct.port}` });
  });

  it('a forwarded host the Host policy does not serve is refused under app.proxy (DNS rebinding)', async () => {
    const { url } = await serve(KoaClass, (app, ws) => {
      app.proxy = true;
      app.use(ws.route((socket) => socket.send('ok')));
    });
    const rebound = await refused(url, [], {
      headers: { 'X-Forwarded-Host': 'evil.example', Origin: 'http://evil.example' },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.headers['wsgate-code']).toBe('HOST_FORBIDDEN');
  });

  it('sends headers the middleware set with the 101, and shows upstream middleware a 101', async () => {
    const seen: number[] = [];
    const upgrades: boolean[] = [];
    const { url, port } = await serve(KoaClass, (app, ws) => {
      app.use(async (ctx, next) => {
        await next();
        seen.push(ctx.status);
      });
      app.use(async (ctx, next) => {
        upgrades.push(isWebSocketUpgrade(ctx));
        ctx.set('X-Trace', 'abc');
        ctx.set('Content-Type', 'text/html'); // framing headers never ride on a 101
        await next();
      });
      app.use(ws.route(() => {}));
    });
    const { headers } = await accepted(url);
    expect(headers['x-trace']).toBe('abc');
    expect(headers['content-type']).toBeUndefined();
    expect(seen).toEqual([101]);
    await refused(url, [], { origin: 'http://evil.example' });
    expect(seen).toEqual([101, 403]);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(426);
    expect(upgrades).toEqual([true, true, false]);
  });

  it('answers once the chain has unwound: what is set after next() rides on the 101, a throw there is Koa’s 500', async () => {
    const errors: unknown[] = [];
    const handled: string[] = [];
    const { url } = await serve(KoaClass, (app, ws) => {
      app.on('error', (error) => errors.push(error));
      app.use(async (ctx, next) => {
        await next();
        if (ctx.path === '/boom') throw new Error('on the way out');
        ctx.set('X-After', `status ${ctx.status}`);
      });
      app.use(async (ctx, next) => {
        if (ctx.path !== '/later') return next();
        // A middleware that lets Koa finish first and reaches the route afterwards: answered there and then.
        ctx.respond = false;
        setImmediate(next);
      });
      app.use(
        ws.route((socket, ctx) => {
          handled.push(ctx.path);
          socket.send('hi');
        }),
      );
    });
    const { headers } = await accepted(url);
    expect(headers['x-after']).toBe('status 101');
    const boom = await refused(`${url}/boom`);
    expect([boom.status, boom.body]).toEqual([500, 'Internal Server Error']);
    expect(errors).toEqual([expect.objectContaining({ message: 'on the way out' })]);
    await accepted(`${url}/later`);
    expect(handled).toEqual(['/', '/later']);
  });

  it('does not report a reset of an accepted connection as a Koa error', async () => {
    const errors: unknown[] = [];
    const { port, ws } = await serve(KoaClass, (app, ws) => {
      app.on('error', (error) => errors.push(error));
      app.use(ws.route((socket) => socket.send('hello')));
    });
    const client = await raw(port);
    client.write(upgradeRequest(port));
    await readUntil(client, (b) => b.includes('hello'));
    const [server] = [...ws.gate.connections];
    const closed = once(server!, 'close');
    client.resetAndDestroy();
    await closed;
    expect(errors).toEqual([]);
  });
});
