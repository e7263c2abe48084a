// The example chat contract on the Koa example, through the app without a port (@wsgate/testing). The start
// script is tested with the other examples' in test/e2e/examples-start.test.ts.
import { closeAll, nextMessage, sendJson } from '@wsgate/testing';
import { browser, loggedIn, logInTwice, logOutOneSession } from 'chat-page/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChat } from '../src/app.js';

let chat: ReturnType<typeof createChat>;

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {}); // logHandshake's lines
  chat = createChat({ keys: ['test-key'] });
});

afterEach(async () => {
  await closeAll();
  await chat.ws.close({ timeout: 100 });
  vi.restoreAllMocks();
});

describe('HTTP side', () => {
  it('serves the login form, then the chat page once logged in', async () => {
    const ada = browser(chat);
    const anonymous = await ada.httpRequest('GET', '/');
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers['content-type']).toMatch(/text\/html/);
    expect(anonymous.body).toContain('action="/login"');
    const response = await ada.httpRequest('POST', '/login', { form: { name: 'ada' } });
    expect([response.status, response.headers.location]).toEqual([303, '/']);
    const cookies = response.headers['set-cookie'] as string[];
    const sid = cookies.find((line) => line.startsWith('sid='));
    expect(sid).toMatch(/; path=\//i);
    expect(sid).toMatch(/; samesite=lax/i);
    expect(sid).toMatch(/; httponly/i);
    expect(cookies.some((line) => line.startsWith('sid.sig='))).toBe(true);
    const page = await ada.httpRequest('GET', '/');
    expect(page.body).toContain('<b id="user">ada</b>');
    expect(page.body).toContain("['chat.v2', 'chat.v1']");
  });

  it('logging in again gives a new session id (no fixation), and the old id is gone from the store', async () => {
    const login = await logInTwice(chat);
    expect(login.newId).toBe(true);
    await login.withFirstCookies.toBeRefused(401);
    await login.withCurrentCookies.toOpen({ protocol: 'chat.v2' });
  });

  it('logs out: clears the cookie and forgets the session', async () => {
    const ada = await loggedIn(chat, 'ada');
    const session = ada.cookies.toJSON();
    const response = await ada.httpRequest('POST', '/logout');
    expect([response.status, response.headers.location]).toEqual([303, '/']);
    expect((response.headers['set-cookie'] as string[]).join('\n')).toMatch(/sid=;.*expires=Thu, 01 Jan 1970/i);
    // The old session cookie, replayed, is worth nothing now.
    const replay = browser(chat, { cookies: session });
    expect((await replay.httpRequest('GET', '/')).body).toContain('action="/login"');
    await replay.expectHandshake('/chat').toBeRefused(401);
  });

  it('rejects an empty name', async () => {
    expect((await browser(chat).httpRequest('POST', '/login', { form: { name: '  ' } })).status).toBe(400);
  });

  it('answers /health', async () => {
    expect(await browser(chat).httpRequest('GET', '/health')).toMatchObject({ status: 200, body: 'ok' });
  });

  it('answers 426 to a plain GET /chat', async () => {
    const response = await browser(chat).httpRequest('GET', '/chat');
    expect([response.status, response.headers.upgrade]).toEqual([426, 'websocket']);
  });
});

describe('WebSocket side', () => {
  it('welcomes a logged-in user with chat.v2 and broadcasts what they say', async () => {
    const ada = await (await loggedIn(chat, 'ada')).connect('/chat');
    const bob = await (await loggedIn(chat, 'bob')).connect('/chat', { protocols: ['chat.v1'] });
    expect([ada.protocol, bob.protocol]).toEqual(['chat.v2', 'chat.v1']);
    expect(await nextMessage(ada)).toEqual({
      type: 'welcome',
      user: 'ada',
      protocol: 'chat.v2',
      transport: 'http/1.1',
    });
    expect(await nextMessage(bob)).toEqual({
      type: 'welcome',
      user: 'bob',
      protocol: 'chat.v1',
      transport: 'http/1.1',
    });
    await sendJson(ada, { type: 'say', text: 'hello' });
    expect(await nextMessage(bob)).toEqual({ type: 'message', user: 'ada', text: 'hello' });
    expect(await nextMessage(ada)).toEqual({ type: 'message', user: 'ada', text: 'hello' });
    ada.send('not json');
    expect(await nextMessage(ada)).toEqual({ type: 'error' });
  });

  it('answers 401 JSON from the auth middleware without a session', async () => {
    const anonymous = browser(chat).expectHandshake('/chat');
    await anonymous.toBeRefused(401, { error: 'login required' });
    await anonymous.withCookies({ sid: 'whatever', 'sid.sig': 'forged' }).toBeRefused(401);
  });

  it('answers 400 when no offered subprotocol is ours', async () => {
    await (await loggedIn(chat, 'ada')).expectHandshake('/chat').withProtocols(['chat.v3']).toBeRefused(400);
  });

  it('refuses another origin (403) and a foreign Host (403)', async () => {
    const ada = await loggedIn(chat, 'ada');
    await ada.expectHandshake('/chat').withOrigin('http://evil.example').toBeRefused(403);
    await ada.expectHandshake('/chat').withHost('evil.example:3000').toBeRefused(403);
    expect(vi.mocked(console.error).mock.calls.map(([line]) => line)).toEqual([
      'wsgate reject ORIGIN_FORBIDDEN 403 /chat',
      'wsgate reject HOST_FORBIDDEN 403 -',
    ]);
    // localhost:PORT is the other name the example answers to.
    await ada.expectHandshake('/chat').withHost('localhost:3000').toOpen({ protocol: 'chat.v2' });
  });
});

describe('logging out', () => {
  it("closes that session's sockets in every tab with 4001; other sessions stay; the old cookie gets 401", async () => {
    const outcome = await logOutOneSession(chat);
    const closed = [4001, 'you logged out in another tab'];
    expect(outcome).toMatchObject({ logout: 303, closes: [closed, closed], stillOpen: [1, 1] }); // 1: OPEN
    await outcome.replay.toBeRefused(401);
    expect(vi.mocked(console.error).mock.calls.map(([line]) => line)).toContain('wsgate close revoked 4001 /chat');
  });
});

describe("the demo's additions (chat-page/demo)", () => {
  it('/slow: its hook outlasts the 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT', async () => {
    await browser(chat).expectHandshake('/slow').toBeRefused(503, { code: 'HANDSHAKE_TIMEOUT' });
  });

  it('GET /probe is the probe frame, whose CSP lets it run its own script only', async () => {
    const probe = await browser(chat).httpRequest('GET', '/probe');
    expect([probe.status, probe.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(probe.body).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'sha256-/,
    );
  });
});
