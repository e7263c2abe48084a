// The example chat contract on the Fastify example, through the app without a port (@wsgate/testing). The
// start script is tested with the other examples' in test/e2e/examples-start.test.ts.
import { closeAll, nextMessage, sendJson, whenClosed } from '@wsgate/testing';
import { browser, loggedIn, logInTwice, logOutOneSession } from 'chat-page/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChat } from '../src/app.js';

let app: Awaited<ReturnType<typeof createChat>>['app'];
let room: Awaited<ReturnType<typeof createChat>>['room'];
let stderr: string[];

beforeEach(async () => {
  stderr = [];
  vi.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line)); // logHandshake
  ({ app, room } = await createChat({ host: '127.0.0.1', secret: 'a test secret of 32 characters or more' }));
});

afterEach(async () => {
  await closeAll();
  await app.close();
  vi.restoreAllMocks();
});

describe('HTTP', () => {
  it('GET / shows the login form, then the chat page once logged in', async () => {
    const anonymous = await browser(app).httpRequest('GET', '/');
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers['content-type']).toMatch(/^text\/html/);
    expect(anonymous.body).toContain('action="/login"');
    const page = await (await loggedIn(app, 'alice')).httpRequest('GET', '/');
    expect(page.body).toContain('<b id="user">alice</b>');
    expect(page.body).toContain("['chat.v2', 'chat.v1']");
  });

  it('POST /login sets a signed, HttpOnly, SameSite=Lax session cookie on / and 303s', async () => {
    const response = await browser(app).httpRequest('POST', '/login', { form: { name: 'bob' } });
    expect(response.status).toBe(303);
    const [line] = response.headers['set-cookie'] as string[];
    expect(line).toMatch(/^sid=[^;]+\.[^;]+;/); // value.signature (@fastify/cookie's signer)
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
  });

  it('POST /login refuses an empty or too long name (400)', async () => {
    const visitor = browser(app);
    for (const name of ['', '   ', 'x'.repeat(33)]) {
      expect((await visitor.httpRequest('POST', '/login', { form: { name } })).status).toBe(400);
    }
  });

  it('logging in again gives a new session id (no fixation), and the old id is gone from the store', async () => {
    const login = await logInTwice(app);
    expect(login.newId).toBe(true);
    await login.withFirstCookies.toBeRefused(401);
    await login.withCurrentCookies.toOpen({ protocol: 'chat.v2' });
  });

  it('POST /logout clears the cookie and ends the session', async () => {
    const carol = await loggedIn(app, 'carol');
    const session = carol.cookies.toJSON();
    const response = await carol.httpRequest('POST', '/logout');
    expect(response.headers.location).toBe('/');
    expect((response.headers['set-cookie'] as string[])[0]).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    const replay = browser(app, { cookies: session });
    expect((await replay.httpRequest('GET', '/')).body).toContain('action="/login"');
    await replay.expectHandshake('/chat').toBeRefused(401);
  });

  it('GET /health is 200 ok; a plain GET /chat is 426, logged in or not', async () => {
    const visitor = browser(app);
    expect(await visitor.httpRequest('GET', '/health')).toMatchObject({ status: 200, body: 'ok' });
    const plain = await visitor.httpRequest('GET', '/chat');
    expect([plain.status, plain.headers.upgrade]).toEqual([426, 'websocket']);
    expect((await (await loggedIn(app, 'dave')).httpRequest('GET', '/chat')).status).toBe(426);
  });
});

describe('WebSocket /chat', () => {
  it('a logged-in client is welcomed with chat.v2, the server’s preference', async () => {
    const alice = await loggedIn(app, 'alice');
    const socket = await alice
      .expectHandshake('/chat')
      .withProtocols(['chat.v1', 'chat.v2'])
      .toOpen({ protocol: 'chat.v2' });
    expect(await nextMessage(socket)).toEqual({
      type: 'welcome',
      user: 'alice',
      protocol: 'chat.v2',
      transport: 'http/1.1',
    });
  });

  it('chat.v1 only is accepted with chat.v1; no common protocol is 400', async () => {
    const old = await loggedIn(app, 'old');
    await old.expectHandshake('/chat').withProtocols(['chat.v1']).toOpen({ protocol: 'chat.v1' });
    await old.expectHandshake('/chat').withProtocols(['chat.v3']).toBeRefused(400);
    expect(stderr).toContain('wsgate reject NO_SUBPROTOCOL 400 /chat');
  });

  it('messages are broadcast to everyone; malformed ones get an error, never a crash', async () => {
    const alice = await (await loggedIn(app, 'alice')).connect('/chat');
    const bob = await (await loggedIn(app, 'bob')).connect('/chat');
    await nextMessage(alice); // the welcomes
    await nextMessage(bob);
    await sendJson(alice, { type: 'say', text: 'hi bob' });
    expect(await nextMessage(bob)).toEqual({ type: 'message', user: 'alice', text: 'hi bob' });
    expect(await nextMessage(alice)).toEqual({ type: 'message', user: 'alice', text: 'hi bob' });
    bob.send('not json');
    bob.send(Buffer.from([1, 2, 3]), { binary: true });
    expect([await nextMessage(bob), await nextMessage(bob)]).toEqual([{ type: 'error' }, { type: 'error' }]);
    expect(room.size).toBe(2);
  });

  it('without a valid session: 401 with the JSON body (no cookie, or a forged one)', async () => {
    const anonymous = browser(app).expectHandshake('/chat');
    await anonymous.toBeRefused(401, { error: 'login required' });
    await anonymous.withCookie('sid', 'someone.forged-signature').toBeRefused(401);
    expect(stderr).toContain('wsgate reject REJECTED 401 /chat');
  });

  it('a foreign Origin is 403 even with the session cookie; a foreign Host is 403', async () => {
    const mallory = await loggedIn(app, 'mallory');
    await mallory.expectHandshake('/chat').withOrigin('http://evil.example').toBeRefused(403);
    await mallory.expectHandshake('/chat').withHost('evil.example:3000').toBeRefused(403);
    expect(stderr).toContain('wsgate reject ORIGIN_FORBIDDEN 403 /chat');
    expect(stderr).toContain('wsgate reject HOST_FORBIDDEN 403 -');
    await mallory.expectHandshake('/chat').withHost('localhost:3000').toOpen({ protocol: 'chat.v2' });
  });

  it('app.close() says 1001 "going away" to open chats', async () => {
    const socket = await (await loggedIn(app, 'zed')).connect('/chat');
    const closed = whenClosed(socket);
    await app.close();
    expect((await closed).code).toBe(1001);
  });
});

describe('logging out', () => {
  it("closes that session's sockets in every tab with 4001; other sessions stay; the old cookie gets 401", async () => {
    const outcome = await logOutOneSession(app);
    const closed = [4001, 'you logged out in another tab'];
    expect(outcome).toMatchObject({ logout: 303, closes: [closed, closed], stillOpen: [1, 1] }); // 1: OPEN
    await outcome.replay.toBeRefused(401);
    expect(stderr).toContain('wsgate close revoked 4001 /chat');
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
