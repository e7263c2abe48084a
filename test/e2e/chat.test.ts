// The example chats against real clients: Chromium, python-websockets, undici's
// WebSocket and ws. One server process per example; every scenario is the same for each example.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromiumChildren, launchChromium, loginThroughForm, startOtherOrigin, waitForText } from './browser.js';
import { closeUndici, closeWs, login, openUndici, openWs, runPython } from './clients.js';
import { examples, serverSideSessions } from './examples.js';
import { portClosed, type RunningServer, startServer } from './launcher.js';
import { chromiumMissing, pythonMissing } from './requirements.js';

/**
 * The line every example prints on stderr for a refused handshake (chat-page's `logHandshake`):
 * `wsgate reject <CODE> <status> <route or ->`, e.g. `wsgate reject ORIGIN_FORBIDDEN 403 /chat`.
 */
const rejectLine = (code: string, status: number | string, route = '/chat') =>
  new RegExp(`wsgate reject ${code} ${status} ${route}(\\s|$)`);

const list = examples();
let browser: Browser | undefined;

beforeAll(async () => {
  if (!chromiumMissing && list.some((example) => !example.skip)) browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (!chromiumMissing) expect(chromiumChildren()).toEqual([]);
});

for (const example of list) {
  if (example.skip) {
    describe.skip(`${example.name} (skipped: ${example.skip})`, () => {
      it('runs every scenario once the example exists', () => {});
    });
    continue;
  }

  describe(example.name, () => {
    let server: RunningServer;
    let wsUrl: string;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      server = await startServer(example);
      wsUrl = `ws://${server.host}:${server.port}/chat`;
    });

    afterAll(async () => {
      if (!server) return;
      const { graceful } = await server.stop();
      if (!graceful) console.warn(`${example.name} did not exit within 3 s of SIGTERM; killed\n${server.log()}`);
      expect(await portClosed(server.host, server.port)).toBe(true);
    });

    beforeEach(({ onTestFailed }) => {
      onTestFailed(() => console.error(`--- ${example.name} server log (pid ${server?.pid}) ---\n${server?.log()}`));
      return async () => {
        for (const context of contexts.splice(0)) await context.close();
      };
    });

    const newContext = async () => {
      const context = await browser!.newContext();
      contexts.push(context);
      return context;
    };
    const sameOrigin = () => ({ Origin: server.url });

    describe.skipIf(chromiumMissing)(`chromium${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ''}`, () => {
      let otherOrigin: Awaited<ReturnType<typeof startOtherOrigin>>;
      beforeAll(async () => {
        otherOrigin = await startOtherOrigin();
      });
      afterAll(async () => {
        await otherOrigin?.close();
        if (otherOrigin) expect(await portClosed('127.0.0.1', otherOrigin.port)).toBe(true);
      });

      it('logs in through the form; the page connects and shows the negotiated protocol chat.v2', async () => {
        const page = await (await newContext()).newPage();
        await loginThroughForm(page, server.url, 'alice');
        await waitForText(page, '#status', 'connected');
        await waitForText(page, '#protocol', 'chat.v2');
        await waitForText(page, '#user', 'alice');
        await waitForText(page, '#log', /welcome, alice \(chat\.v2\)/);
      });

      it("two pages (two users) see each other's messages", async () => {
        const alice = await (await newContext()).newPage();
        const bob = await (await newContext()).newPage();
        await loginThroughForm(alice, server.url, 'alice');
        await loginThroughForm(bob, server.url, 'bob');
        await waitForText(alice, '#status', 'connected');
        await waitForText(bob, '#status', 'connected');
        await alice.fill('#text', 'hi bob');
        await alice.press('#text', 'Enter');
        await waitForText(bob, '#log', /alice: hi bob/);
        await waitForText(alice, '#log', /alice: hi bob/);
        await bob.fill('#text', 'hello alice');
        await bob.press('#text', 'Enter');
        await waitForText(alice, '#log', /bob: hello alice/);
        await waitForText(bob, '#log', /bob: hello alice/);
      });

      it('a page from another origin is refused even with the session cookie (ORIGIN_FORBIDDEN)', async () => {
        const context = await newContext();
        const page = await context.newPage();
        await loginThroughForm(page, server.url, 'mallory'); // the cookie for 127.0.0.1 now rides along
        const since = server.log().length;
        await page.goto(`${otherOrigin.url}/?target=${encodeURIComponent(wsUrl)}`);
        await waitForText(page, '#events', /^error\nclose 1006\n$/);
        await server.waitForLine(rejectLine('ORIGIN_FORBIDDEN', 403), { since, timeoutMs: 5000 });
      });

      // Examples whose sessions live on the server (and can so be revoked): logging out ends the socket.
      it.skipIf(!serverSideSessions.has(example.name))(
        "logging out in tab A closes tab B's chat, which says why and does not reconnect",
        async () => {
          const context = await newContext();
          const tabA = await context.newPage();
          await loginThroughForm(tabA, server.url, 'erin');
          const tabB = await context.newPage();
          await tabB.goto(`${server.url}/`);
          await waitForText(tabB, '#status', 'connected');
          const since = server.log().length;
          await tabA.locator('form[action="/logout"] button').first().click();
          await waitForText(tabB, '#status', 'session ended');
          await waitForText(tabB, '#advice', /you logged out in another tab/);
          await waitForText(tabB, '#why', 'closed: 4001');
          await server.waitForLine(/wsgate close revoked 4001 \/chat/, { since, timeoutMs: 5000 });
          // No reconnection: the status stays, and the server sees no new handshake.
          await new Promise((resolve) => setTimeout(resolve, 2500));
          await waitForText(tabB, '#status', 'session ended');
          expect(server.log().slice(since)).not.toMatch(/wsgate reject/);
        },
      );

      it('a logged-out page cannot connect (401)', async () => {
        const page = await (await newContext()).newPage();
        await page.goto(`${server.url}/health`);
        const since = server.log().length;
        const outcome = await page.evaluate(
          (url) =>
            new Promise<string>((resolve) => {
              const socket = new WebSocket(url, ['chat.v2']);
              socket.onopen = () => resolve(`open ${socket.protocol}`);
              socket.onclose = (event) => resolve(`close ${event.code}`);
            }),
          `ws://${server.host}:${server.port}/chat`,
        );
        expect(outcome).toBe('close 1006');
        await server.waitForLine(rejectLine('\\S+', 401), { since, timeoutMs: 5000 });
      });
    });

    describe.skipIf(pythonMissing)(`python3-websockets${pythonMissing ? ` (skipped: ${pythonMissing})` : ''}`, () => {
      it('connects with the session cookie and chat.v2; its strict accept-key, protocol and extension checks pass', async () => {
        const cookie = await login(server.url, 'py');
        const result = await runPython({
          url: wsUrl,
          cookie,
          origin: server.url,
          subprotocols: ['chat.v1', 'chat.v2'],
          say: 'hello from python',
        });
        expect(result).toMatchObject({
          ok: true,
          connected: true,
          protocol: 'chat.v2', // the server's preference, not the client's order
          extensions: [], // permessage-deflate offered, compression off on the examples: declined
          extensionsHeader: null,
          acceptMatches: true,
          welcome: { type: 'welcome', user: 'py', protocol: 'chat.v2', transport: 'http/1.1' },
          broadcast: { type: 'message', user: 'py', text: 'hello from python' },
          malformedReply: { type: 'error' },
          closeCode: 1000,
        });
      });

      it('is refused without a session (401)', async () => {
        const result = await runPython({ url: wsUrl, origin: server.url, subprotocols: ['chat.v2'], mode: 'reject' });
        expect(result).toMatchObject({ ok: true, connected: false, status: 401 });
      });
    });

    describe('undici WebSocket', () => {
      it('connects with the session cookie and Origin, negotiates chat.v2, gets the welcome and the broadcast', async () => {
        const cookie = await login(server.url, 'undici');
        const outcome = await openUndici(wsUrl, ['chat.v1', 'chat.v2'], { cookie, ...sameOrigin() });
        expect(outcome.open, JSON.stringify(outcome)).toBe(true);
        if (!outcome.open) return;
        try {
          expect(outcome.socket.protocol).toBe('chat.v2');
          expect(outcome.socket.extensions).toBe('');
          expect(await outcome.inbox.next((m) => m.type === 'welcome')).toEqual({
            type: 'welcome',
            user: 'undici',
            protocol: 'chat.v2',
            transport: 'http/1.1',
          });
          outcome.socket.send(JSON.stringify({ type: 'say', text: 'hello from undici' }));
          expect(await outcome.inbox.next((m) => m.type === 'message')).toEqual({
            type: 'message',
            user: 'undici',
            text: 'hello from undici',
          });
          outcome.socket.send('{"type":"say"}');
          expect(await outcome.inbox.next(() => true)).toEqual({ type: 'error' });
        } finally {
          await closeUndici(outcome.socket);
        }
      });

      it('fails without a session and with a foreign Origin', async () => {
        expect(await openUndici(wsUrl, ['chat.v2'], sameOrigin())).toEqual({
          open: false,
          closeCode: 1006,
          error: true,
        });
        const cookie = await login(server.url, 'undici');
        const since = server.log().length;
        expect(await openUndici(wsUrl, ['chat.v2'], { cookie, Origin: 'http://evil.example' })).toEqual({
          open: false,
          closeCode: 1006,
          error: true,
        });
        await server.waitForLine(rejectLine('ORIGIN_FORBIDDEN', 403), { since, timeoutMs: 5000 });
      });
    });

    describe('ws', () => {
      it('connects with the session cookie and Origin; 101 headers, welcome, broadcast to another client, errors', async () => {
        const cookie = await login(server.url, 'ws-alice');
        const alice = await openWs(wsUrl, ['chat.v1', 'chat.v2'], { headers: { Cookie: cookie, ...sameOrigin() } });
        expect(alice.open, JSON.stringify({ ...alice, socket: undefined })).toBe(true);
        if (!alice.open) return;
        const other = await openUndici(wsUrl, ['chat.v1'], { cookie: await login(server.url, 'bob'), ...sameOrigin() });
        try {
          expect(alice.socket.protocol).toBe('chat.v2');
          expect(alice.headers['sec-websocket-protocol']).toBe('chat.v2');
          expect(alice.headers['sec-websocket-extensions']).toBeUndefined(); // deflate offered, declined
          expect(await alice.inbox.next((m) => m.type === 'welcome')).toEqual({
            type: 'welcome',
            user: 'ws-alice',
            protocol: 'chat.v2',
            transport: 'http/1.1',
          });
          expect(other.open).toBe(true);
          if (!other.open) return;
          expect(other.socket.protocol).toBe('chat.v1');
          expect(await other.inbox.next((m) => m.type === 'welcome')).toMatchObject({ protocol: 'chat.v1' });
          alice.socket.send(JSON.stringify({ type: 'say', text: 'from ws to all' }));
          const said = { type: 'message', user: 'ws-alice', text: 'from ws to all' };
          expect(await alice.inbox.next((m) => m.type === 'message')).toEqual(said);
          expect(await other.inbox.next((m) => m.type === 'message')).toEqual(said);
          alice.socket.send(Buffer.from([1, 2, 3]), { binary: true });
          expect(await alice.inbox.next(() => true)).toEqual({ type: 'error' });
        } finally {
          await closeWs(alice.socket);
          if (other.open) await closeUndici(other.socket);
        }
      });

      it('without a session: 401 with the JSON body', async () => {
        const outcome = await openWs(wsUrl, ['chat.v2'], { headers: sameOrigin() });
        expect(outcome.open).toBe(false);
        if (outcome.open) return;
        expect(outcome.status).toBe(401);
        expect(JSON.parse(outcome.body!)).toEqual({ error: 'login required' });
      });

      it('foreign Origin: 403; no common subprotocol: 400; foreign Host: 403; plain GET: 426', async () => {
        const cookie = await login(server.url, 'ws');
        const since = server.log().length;
        const foreign = await openWs(wsUrl, ['chat.v2'], {
          headers: { Cookie: cookie, Origin: 'http://evil.example' },
        });
        expect(foreign).toMatchObject({ open: false, status: 403 });
        const v3 = await openWs(wsUrl, ['chat.v3'], { headers: { Cookie: cookie, ...sameOrigin() } });
        expect(v3).toMatchObject({ open: false, status: 400 });
        const host = await openWs(wsUrl, ['chat.v2'], { headers: { Host: `evil.example:${server.port}` } });
        expect(host).toMatchObject({ open: false, status: 403 });
        const plain = await fetch(`${server.url}/chat`);
        expect(plain.status).toBe(426);
        await plain.arrayBuffer();
        await server.waitForLine(rejectLine('ORIGIN_FORBIDDEN', 403), { since, timeoutMs: 5000 });
        await server.waitForLine(rejectLine('NO_SUBPROTOCOL', 400), { since, timeoutMs: 5000 });
        await server.waitForLine(rejectLine('HOST_FORBIDDEN', 403, '(/chat|-)'), { since, timeoutMs: 5000 }); // before routing: -
      });
    });
  });
}
