/**
 * The app's own middleware chain runs before the 101, on Express 5 and Express 4 alike.
 */

import { once } from 'node:events';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { wsgate } from '../src/index.js';
import {
  clientFrame,
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

describe.each(versions)('%s', (_name, express) => {
  function requireUser(req: Request, res: Response, next: NextFunction) {
    const user = req.get('x-user');
    if (user === undefined) return void res.status(401).json({ error: 'login required' });
    (req as Request & { user?: string }).user = user;
    next();
  }

  it('a middleware that answers 401 sends that response, body and all, and no upgrade happens', async () => {
    const handler = vi.fn();
    const app = wsgate(express());
    app.ws('/chat', requireUser, handler);
    const { url } = await serve(app);
    const refused = await expectRefused(url('/chat'));
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({ error: 'login required' });
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(refused.headers.connection).toBe('close');
    expect(handler).not.toHaveBeenCalled();
  });

  it("Origin and subprotocols are checked before the route's own middleware (docs/architecture.md, the pipeline)", async () => {
    const auth = vi.fn(requireUser);
    const app = wsgate(express());
    app.ws('/chat', { subprotocols: ['chat.v2'], requireSubprotocol: true }, auth, vi.fn());
    const { url } = await serve(app);
    const crossOrigin = await expectRefused(url('/chat'), {
      protocols: ['chat.v2'],
      headers: { Origin: 'http://evil.example' },
    });
    expect(crossOrigin.status).toBe(403);
    const noProtocol = await expectRefused(url('/chat'), { protocols: ['chat.v9'] });
    expect(noProtocol.status).toBe(400);
    expect(auth).not.toHaveBeenCalled();
  });

  it('app.use middleware guards WebSocket routes too: sendStatus(403), redirect', async () => {
    const app = wsgate(express());
    app.use((req, res, next) => {
      if (req.path === '/forbidden') return void res.sendStatus(403);
      if (req.path === '/moved') return void res.redirect('/elsewhere');
      next();
    });
    app.ws('/forbidden', () => {});
    app.ws('/moved', () => {});
    const { url } = await serve(app);
    const forbidden = await expectRefused(url('/forbidden'));
    expect([forbidden.status, forbidden.body]).toEqual([403, 'Forbidden']);
    const moved = await expectRefused(url('/moved'));
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe('/elsewhere');
  });

  it('the connection is closed after the app has answered, and the answer is one complete response', async () => {
    const app = wsgate(express());
    app.ws('/chat', requireUser, () => {});
    const { port } = await serve(app);
    const client = await raw(port);
    client.write(handshake(port, '/chat'));
    await client.gone;
    const text = client.received().toString();
    expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(text).toContain('\r\nConnection: close\r\n');
    expect(text.endsWith('\r\n\r\n{"error":"login required"}')).toBe(true);
  });

  it('next(err) and a thrown error reach the app error handler, whose response goes out', async () => {
    const handler = vi.fn();
    const app = wsgate(express());
    app.ws('/next', (_req, _res, next) => next(Object.assign(new Error('nope'), { status: 418 })), handler);
    app.ws(
      '/throw',
      () => {
        throw Object.assign(new Error('boom'), { status: 409 });
      },
      handler,
    );
    app.use((error: Error & { status: number }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status).json({ handled: error.message });
    });
    const { url } = await serve(app);
    const teapot = await expectRefused(url('/next'));
    expect([teapot.status, JSON.parse(teapot.body)]).toEqual([418, { handled: 'nope' }]);
    const conflict = await expectRefused(url('/throw'));
    expect([conflict.status, JSON.parse(conflict.body)]).toEqual([409, { handled: 'boom' }]);
    expect(handler).not.toHaveBeenCalled();
  });

  it("a path no route claims gets the app's own 404: Express's default, or the app's 404 middleware", async () => {
    const app = wsgate(express());
    app.ws('/chat', () => {});
    const { url } = await serve(app);
    const fallback = await expectRefused(url('/nowhere'));
    expect(fallback.status).toBe(404);
    expect(fallback.body).toContain('Cannot GET /nowhere');

    const custom = wsgate(express());
    custom.ws('/chat', () => {});
    custom.use((_req, res) => void res.status(404).json({ error: 'no such thing' }));
    const other = await serve(custom);
    const notFound = await expectRefused(other.url('/nowhere'));
    expect([notFound.status, JSON.parse(notFound.body)]).toEqual([404, { error: 'no such thing' }]);
  });

  it('router.ws with params, router.param and mount paths; what middleware set reaches the handler', async () => {
    const app = wsgate(express());
    const rooms = express.Router({ mergeParams: true });
    rooms.param('room', (req, _res, next, room: string) => {
      (req as Request & { roomName?: string }).roomName = room.toUpperCase();
      next();
    });
    rooms.ws('/rooms/:room', requireUser, (socket, req) => {
      const { user, roomName } = req as Request & { user?: string; roomName?: string };
      socket.send(JSON.stringify({ params: req.params, user, roomName, baseUrl: req.baseUrl }));
    });
    app.use('/api/:tenant', rooms);
    const { url } = await serve(app);
    const socket = await expectOpen(url('/api/acme/rooms/lobby?x=1'), { headers: { 'x-user': 'ada' } });
    expect(JSON.parse(await nextMessage(socket))).toEqual({
      params: { tenant: 'acme', room: 'lobby' },
      user: 'ada',
      roomName: 'LOBBY',
      baseUrl: '/api/acme',
    });
    expect((await expectRefused(url('/api/acme/rooms/lobby'))).status).toBe(401);
  });

  it('express-session and cookie-parser run before the 101: req.session reaches the handler', async () => {
    const app = wsgate(express());
    app.use(cookieParser('cookie secret'));
    app.use(session({ secret: 'session secret', resave: false, saveUninitialized: false }));
    app.post('/login', (req, res) => {
      (req.session as { user?: string }).user = 'grace';
      res.sendStatus(204);
    });
    app.ws(
      '/me',
      (req, res, next) => {
        if ((req.session as { user?: string }).user === undefined) return void res.status(401).json({ error: 'login' });
        next();
      },
      (socket, req) => socket.send((req.session as { user?: string }).user ?? '?'),
    );
    const { url, server, origin } = await serve(app);
    const login = await request(server).post('/login');
    const cookie = (login.headers['set-cookie'] as unknown as string[])[0]?.split(';')[0] ?? '';
    expect(cookie).toMatch(/^connect\.sid=/);
    const socket = await expectOpen(url('/me'), { headers: { Cookie: cookie, Origin: origin } });
    expect(await nextMessage(socket)).toBe('grace');
    const anonymous = await expectRefused(url('/me'), { headers: { Origin: origin } });
    expect(anonymous.status).toBe(401);
  });

  it('a frame written in the same TCP packet as the request reaches the handler, past async middleware', async () => {
    const app = wsgate(express());
    app.use(async (_req, _res, next) => {
      await new Promise((resolve) => setImmediate(resolve));
      next();
    });
    app.ws(
      '/echo',
      (_req, _res, next) => void setImmediate(next),
      (socket) => socket.on('message', (data) => socket.send(`echo:${String(data)}`)),
    );
    const { port } = await serve(app);
    const client = await raw(port);
    client.write(Buffer.concat([Buffer.from(handshake(port, '/echo')), clientFrame('early bird')]));
    const data = await receivedUntil(client, (bytes) => {
      const end = bytes.indexOf('\r\n\r\n');
      return end !== -1 && serverText(bytes, end + 4) !== undefined;
    });
    const end = data.indexOf('\r\n\r\n');
    expect(data.subarray(0, end).toString()).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(serverText(data, end + 4)).toBe('echo:early bird');
  });

  it('a client that leaves during async middleware: nothing leaks and the handler is never called', async () => {
    const handler = vi.fn();
    const entered = deferred();
    const release = deferred();
    const finished = deferred();
    const app = wsgate(express());
    app.ws(
      '/slow',
      async (_req, _res, next) => {
        entered.resolve();
        await release.promise;
        next();
        finished.resolve();
      },
      handler,
    );
    const { port, server } = await serve(app);
    const client = await raw(port);
    client.write(handshake(port, '/slow'));
    await entered.promise;
    expect(app.wsgate.gate.pending).toBe(1);
    client.destroy();
    await client.gone;
    await vi.waitFor(() => expect(app.wsgate.gate.pending).toBe(0));
    release.resolve();
    await finished.promise;
    await new Promise((resolve) => setImmediate(resolve));
    expect(handler).not.toHaveBeenCalled();
    expect(app.wsgate.gate.connections.size).toBe(0);
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    expect(count).toBe(0);
  });

  it("a plain GET on a WebSocket route gets 426 before the route's own middleware; HTTP routes are unaffected", async () => {
    const routeMiddleware = vi.fn(requireUser);
    const app = wsgate(express());
    app.get('/health', (_req, res) => void res.type('text').send('ok'));
    app.ws('/chat', routeMiddleware, () => {});
    const { server } = await serve(app);
    const plain = await request(server).get('/chat');
    expect(plain.status).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    expect(plain.text).toBe('426 Upgrade Required: NOT_AN_UPGRADE\n');
    expect(routeMiddleware).not.toHaveBeenCalled();
    const health = await request(server).get('/health');
    expect([health.status, health.text]).toEqual([200, 'ok']);
  });

  it('an upgrade request on an ordinary HTTP route gets that route’s response, never a 101', async () => {
    const app = wsgate(express());
    app.get('/page', (_req, res) => void res.send('<p>hi</p>'));
    const { url } = await serve(app);
    const refused = await expectRefused(url('/page'));
    expect([refused.status, refused.body]).toEqual([200, '<p>hi</p>']);
  });

  it('an upgrade on a keep-alive connection that already served a request', async () => {
    const app = wsgate(express());
    app.get('/health', (_req, res) => void res.send('ok'));
    app.ws('/echo', (socket) => socket.on('message', (data) => socket.send(String(data))));
    const { port } = await serve(app);
    const client = await raw(port);
    client.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await receivedUntil(client, (bytes) => bytes.toString().endsWith('ok'));
    client.write(Buffer.concat([Buffer.from(handshake(port, '/echo')), clientFrame('again')]));
    const data = await receivedUntil(client, (bytes) => bytes.toString().includes('again'));
    expect(data.toString()).toContain('HTTP/1.1 101 Switching Protocols');
  });

  it('app.wsgate.attach serves a server created by hand', async () => {
    const http = await import('node:http');
    const app = wsgate(express());
    app.ws('/hi', (socket) => socket.send('hi'));
    const server = app.wsgate.attach(http.createServer(app));
    app.wsgate.attach(server); // idempotent
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as { port: number }).port;
      const socket = await expectOpen(`ws://127.0.0.1:${port}/hi`);
      expect(await nextMessage(socket)).toBe('hi');
      socket.close();
      await once(socket, 'close');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Express 5', () => {
  it('an upgrade on a server wsgate is not attached to: 426 and a warning that says what to do', async () => {
    const { default: express } = await import('express');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = wsgate(express());
    app.ws('/chat', () => {});
    // supertest makes its own http.createServer(app), without the 'upgrade' listener.
    const response = await request(app).get('/chat').set('Connection', 'Upgrade').set('Upgrade', 'websocket');
    expect(response.status).toBe(426);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/app\.wsgate\.attach\(server\)/));
    warn.mockRestore();
  });

  it("a rejected promise in async middleware reaches the app's error handler", async () => {
    const { default: express } = await import('express');
    const app = wsgate(express());
    app.ws(
      '/async',
      async () => {
        await Promise.resolve();
        throw Object.assign(new Error('later'), { status: 503 });
      },
      () => {},
    );
    app.use((error: Error & { status: number }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(error.status).send(`handled ${error.message}`);
    });
    const { url } = await serve(app);
    const refused = await expectRefused(url('/async'));
    expect([refused.status, refused.body]).toEqual([503, 'handled later']);
  });
});
