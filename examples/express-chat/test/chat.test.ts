// The example chat contract on the Express example, through the app without a
// port (@wsgate/testing): HTTP requests and real ws clients over in-memory connections. The start script is
// tested with the other examples' in test/e2e/examples-start.test.ts.
import { closeAll, nextMessage, sendJson } from '@wsgate/testing';
import { browser, loggedIn, logOutOneSession } from 'chat-page/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChat } from '../src/app.js';

let app: ReturnType<typeof createChat>;

beforeEach(() => {
  vi.spyOn(console, 'error').mockImplementation(() => {}); // logHandshake's lines
  app = createChat({ host: '127.0.0.1', secret: 'test secret' });
});

afterEach(async () => {
  await closeAll();
  await app.wsgate.close({ timeout: 100 });
  vi.restoreAllMocks();
});

describe('HTTP', () => {
  it('GET /health is 200 ok; GET / is the login form, then the chat page once logged in', async () => {
    const visitor = browser(app);
    expect(await visitor.httpRequest('GET', '/health')).toMatchObject({ status: 200, body: 'ok' });
    const form = await visitor.httpRequest('GET', '/');
    expect(form.status).toBe(200);
    expect(form.body).toContain('action="/login"');
    const alice = await loggedIn(app, 'alice');
    const page = await alice.httpRequest('GET', '/');
    expect(page.body).toContain('<b id="user">alice</b>');
    expect(page.body).toContain("['chat.v2', 'chat.v1']");
  });

  it('POST /login sets a signed HttpOnly SameSite=Lax sid cookie; a blank name is 400; logout clears it', async () => {
    const bob = browser(app);
    const response = await bob.httpRequest('POST', '/login', { form: { name: '  bob  ' } });
    expect(response.status).toBe(303);
    const [line] = response.headers['set-cookie'] as string[];
    expect(line).toMatch(/^sid=s%3A[\w-]+\.[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    expect((await bob.httpRequest('POST', '/login', { form: { name: '   ' } })).status).toBe(400);
    const logout = await bob.httpRequest('POST', '/logout');
    expect([logout.status, logout.headers.location]).toEqual([303, '/']);
    expect((logout.headers['set-cookie'] as string[])[0]).toMatch(/^sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect(bob.cookies.toJSON()).toEqual({});
  });

  it('a plain GET /chat is 426, with or without a session', async () => {
    const plain = await browser(app).httpRequest('GET', '/chat');
    expect([plain.status, plain.headers.upgrade]).toEqual([426, 'websocket']);
    expect((await (await loggedIn(app, 'carol')).httpRequest('GET', '/chat')).status).toBe(426);
  });
});

describe('WebSocket /chat', () => {
  it('welcome with the server-preferred protocol; say is broadcast; malformed gets an error', async () => {
    const alice = await (await loggedIn(app, 'alice')).connect('/chat', { protocols: ['chat.v1', 'chat.v2'] });
    const bob = await (await loggedIn(app, 'bob')).connect('/chat', { protocols: ['chat.v1'] });
    expect(alice.protocol).toBe('chat.v2');
    expect(await nextMessage(alice)).toEqual({
      type: 'welcome',
      user: 'alice',
      protocol: 'chat.v2',
      transport: 'http/1.1',
    });
    expect(await nextMessage(bob)).toEqual({
      type: 'welcome',
      user: 'bob',
      protocol: 'chat.v1',
      transport: 'http/1.1',
    });
    await sendJson(alice, { type: 'say', text: 'hi all' });
    const said = { type: 'message', user: 'alice', text: 'hi all' };
    expect(await nextMessage(bob)).toEqual(said);
    expect(await nextMessage(alice)).toEqual(said);
    bob.send('not json');
    expect(await nextMessage(bob)).toEqual({ type: 'error' });
  });

  it('without a session: 401 {"error":"login required"}, from the auth middleware', async () => {
    const anonymous = browser(app).expectHandshake('/chat');
    await anonymous.toBeRefused(401, { error: 'login required' });
    await anonymous.withCookie('sid', 's%3Aalice.forged').toBeRefused(401);
  });

  it('foreign Origin 403, foreign Host 403, no common subprotocol 400', async () => {
    const dave = await loggedIn(app, 'dave');
    await dave.expectHandshake('/chat').withOrigin('http://evil.example').toBeRefused(403);
    await dave.expectHandshake('/chat').withHost('evil.example:3000').toBeRefused(403);
    await dave.expectHandshake('/chat').withProtocols(['chat.v3']).toBeRefused(400);
    const logged = vi.mocked(console.error).mock.calls.map(([line]) => line);
    expect(logged).toEqual([
      'wsgate reject ORIGIN_FORBIDDEN 403 /chat',
      'wsgate reject HOST_FORBIDDEN 403 -',
      'wsgate reject NO_SUBPROTOCOL 400 /chat',
    ]);
    // localhost:PORT is the other name the example answers to; the page's own origin works.
    await dave.expectHandshake('/chat').withHost('localhost:3000').toOpen({ protocol: 'chat.v2' });
  });
});

describe('logging out', () => {
  it("closes that session's sockets in every tab with 4001; other sessions stay; the old cookie gets 401", async () => {
    const outcome = await logOutOneSession(app);
    const closed = [4001, 'you logged out in another tab'];
    expect(outcome).toMatchObject({ logout: 303, closes: [closed, closed], stillOpen: [1, 1] }); // 1: OPEN
    await outcome.replay.toBeRefused(401);
    expect(vi.mocked(console.error).mock.calls.map(([line]) => line)).toContain('wsgate close revoked 4001 /chat');
  });
});

describe("the demo's additions (chat-page/demo)", () => {
  it('/slow: its hook outlasts the 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT', async () => {
    await browser(app).expectHandshake('/slow').toBeRefused(503, { code: 'HANDSHAKE_TIMEOUT' });
  });

  it('GET /probe is the probe frame, whose CSP lets it run its own script only', async () => {
    const probe = await browser(app).httpRequest('GET', '/probe');
    expect([probe.status, probe.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(probe.body).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'sha256-/,
    );
  });
});
