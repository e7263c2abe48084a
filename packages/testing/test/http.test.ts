// Plain HTTP through the kit, without a port: the steps before a handshake (a login), and the cookie jar.
import { createServer } from 'node:http';
import { wsgate } from '@wsgate/express';
import { koaGate } from '@wsgate/koa';
import cookieParser from 'cookie-parser';
import express from 'express';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { openCount } from '../src/cleanup.js';
import { closeAll, createTestClient, httpRequest, nextMessage } from '../src/index.js';

afterEach(closeAll);

function loginApp() {
  const app = wsgate(express());
  app.use(cookieParser('secret'), express.urlencoded({ extended: false }), express.json());
  app.post('/login', (req, res) => {
    res.cookie('sid', req.body.name, { signed: true, httpOnly: true }).sendStatus(204);
  });
  app.post('/logout', (_req, res) => void res.clearCookie('sid').sendStatus(204));
  app.post(
    '/echo',
    (req, res) => void res.json({ body: req.body, cookies: req.cookies, type: req.get('content-type') }),
  );
  app.ws(
    '/me',
    (req, res, next) => (req.signedCookies.sid ? next() : void res.status(401).json({ error: 'login required' })),
    (socket, req) => socket.send(JSON.stringify({ user: req.signedCookies.sid })),
  );
  return app;
}

describe('httpRequest', () => {
  it('sends a form, JSON or a raw body, and cookies; gives status, headers, body and the cookies set', async () => {
    const app = loginApp();
    const login = await httpRequest(app, 'POST', '/login', { form: { name: 'ada lovelace' } });
    expect(login.status).toBe(204);
    expect(login.cookies.sid).toMatch(/^s%3Aada%20lovelace\./);
    const form = await httpRequest(app, 'POST', '/echo', { form: { a: '1' }, cookies: { theme: 'dark' } });
    expect(form.json()).toEqual({
      body: { a: '1' },
      cookies: { theme: 'dark' },
      type: 'application/x-www-form-urlencoded',
    });
    const json = await httpRequest(app, 'POST', '/echo', { json: { a: [1] } });
    expect(json.json()).toMatchObject({ body: { a: [1] }, type: 'application/json' });
    const raw = await httpRequest(app, 'POST', '/echo', {
      body: '{"b":2}',
      headers: { 'content-type': 'application/json' },
    });
    expect(raw.json()).toMatchObject({ body: { b: 2 } });
    expect(openCount()).toBe(0); // one request per connection, closed by the server
  });

  it('json() of a body that is not JSON throws, showing it', async () => {
    const response = await httpRequest(
      createServer((_req, res) => res.end('plain text')),
      'GET',
      '/',
    );
    expect(() => response.json()).toThrow('httpRequest: the body of GET / (200) is not JSON: plain text');
  });

  it('one of body, form and json; a server that never answers is a WSGATE_TEST_TIMEOUT', async () => {
    const silent = createServer(() => {});
    await expect(httpRequest(silent, 'POST', '/', { form: {}, json: {} })).rejects.toThrow(TypeError);
    await expect(httpRequest(silent, 'GET', '/slow', { timeout: 30 })).rejects.toMatchObject({
      code: 'WSGATE_TEST_TIMEOUT',
    });
  });

  it('Koa: the server is made once per gate, and Koa’s middleware is composed at the first request', async () => {
    const app = new Koa();
    const target = { app, ws: koaGate(app) };
    const first = httpRequest(target, 'GET', '/'); // the kit's server for this app exists from here on
    app.use((ctx) => {
      ctx.body = 'added after';
    });
    expect((await first).body).toBe('added after');
    expect((await httpRequest(target, 'GET', '/')).body).toBe('added after');
  });
});

describe('a test client’s cookie jar', () => {
  it('logs in over HTTP, then its handshakes carry the session; logging out removes it', async () => {
    const app = loginApp();
    const ada = createTestClient(app);
    await ada.httpRequest('POST', '/login', { form: { name: 'ada' } });
    expect(Object.keys(ada.cookies.toJSON())).toEqual(['sid']);
    expect(await nextMessage(await ada.connect('/me'))).toEqual({ user: 'ada' });
    await ada.httpRequest('POST', '/logout');
    expect(ada.cookies.toJSON()).toEqual({});
    await ada.expectHandshake('/me').toBeRefused(401, { error: 'login required' });
    // The kit's plain functions have no jar: the cookies of a response are passed on by hand.
    const { cookies } = await httpRequest(app, 'POST', '/login', { form: { name: 'bob' } });
    await ada.expectHandshake('/me').withCookies(cookies).toOpen();
  });
});
