// Every example chat with TLS=1: HTTPS on one port, WebSockets over HTTP/2 (RFC 8441 extended CONNECT) for
// Chromium and Node's http2 client, over HTTP/1.1 upgrades for the clients that do not speak HTTP/2 (ws,
// python-websockets) — the same route, policies and auth. Express serves HTTP/1.1 only (it cannot run on
// HTTP/2): there every client, Chromium included, uses HTTP/1.1.
import { once } from 'node:events';
import type http2 from 'node:http2';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clientWebSocket,
  closeSocket,
  openSession,
  rawH2Request,
  readBody,
  refusedH2,
  requestH2,
} from '../h2/client.js';
import { chromiumChildren, launchChromium, loginThroughForm, waitForText } from './browser.js';
import { closeWs, Inbox, login, openWs, runPython } from './clients.js';
import { example as exampleNamed, examples, servesHttp2 } from './examples.js';
import { portClosed, type RunningServer, startServer } from './launcher.js';
import { chromiumMissing, pythonMissing } from './requirements.js';

const list = examples();
let browser: Browser | undefined;

beforeAll(async () => {
  if (!chromiumMissing && list.some((example) => !example.skip)) {
    browser = await launchChromium(['--ignore-certificate-errors']);
  }
});

afterAll(async () => {
  await browser?.close();
  if (!chromiumMissing) expect(chromiumChildren()).toEqual([]);
});

for (const example of list) {
  if (example.skip) continue;
  const h2 = servesHttp2(example.name);
  const transport = h2 ? 'h2' : 'http/1.1';

  describe(`${example.name} with TLS=1`, () => {
    let server: RunningServer;
    const contexts: BrowserContext[] = [];
    const sessions: http2.ClientHttp2Session[] = [];

    beforeAll(async () => {
      server = await startServer(example, { env: { TLS: '1' } });
    });

    afterAll(async () => {
      if (!server) return;
      // An HTTP/2 connection still open at SIGTERM must not keep the process alive.
      if (h2) sessions.push(await openSession(server.url));
      const { graceful } = await server.stop();
      expect(graceful, server.log()).toBe(true);
      expect(await portClosed(server.host, server.port)).toBe(true);
      for (const session of sessions) session.destroy();
    });

    beforeEach(({ onTestFailed }) => {
      onTestFailed(() => console.error(`--- ${example.name} server log (pid ${server?.pid}) ---\n${server?.log()}`));
      return async () => {
        for (const context of contexts.splice(0)) await context.close();
      };
    });

    const session = async () => {
      const opened = await openSession(server.url);
      sessions.push(opened);
      return opened;
    };

    it('listens on https://', () => {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    });

    describe.skipIf(chromiumMissing)('chromium', () => {
      it(`loads the page over ${transport}, logs in, and its WebSocket comes over ${transport}; two users chat`, async () => {
        const newPage = async () => {
          const context = await browser!.newContext();
          contexts.push(context);
          return context.newPage();
        };
        const alice = await newPage();
        const bob = await newPage();
        await loginThroughForm(alice, server.url, 'alice');
        await loginThroughForm(bob, server.url, 'bob');
        for (const page of [alice, bob]) {
          await waitForText(page, '#status', 'connected');
          await waitForText(page, '#protocol', 'chat.v2');
          // The server's welcome says which transport carried the socket.
          await waitForText(page, '#transport', transport);
          const hop = await page.evaluate(
            () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
          );
          expect(hop).toBe(h2 ? 'h2' : 'http/1.1');
        }
        await alice.fill('#text', 'hi bob');
        await alice.press('#text', 'Enter');
        await waitForText(bob, '#log', /alice: hi bob/);
      });
    });

    it('ws (no HTTP/2) still connects over an HTTP/1.1 upgrade, with the session cookie', async () => {
      const cookie = await login(server.url, 'ws');
      const wsUrl = `${server.url.replace('https:', 'wss:')}/chat`;
      const opened = await openWs(wsUrl, ['chat.v2'], { headers: { Cookie: cookie, Origin: server.url } });
      expect(opened.open).toBe(true);
      if (!opened.open) return;
      expect(await opened.inbox.next((m) => m.type === 'welcome')).toEqual({
        type: 'welcome',
        user: 'ws',
        protocol: 'chat.v2',
        transport: 'http/1.1',
      });
      await closeWs(opened.socket);
      const refused = await openWs(wsUrl, ['chat.v2'], { headers: { Origin: server.url } });
      expect(refused).toMatchObject({ open: false, status: 401 });
    });

    it.skipIf(pythonMissing)('python-websockets connects over wss:// (HTTP/1.1 and TLS)', async () => {
      const cookie = await login(server.url, 'py');
      const result = await runPython({
        url: `${server.url.replace('https:', 'wss:')}/chat`,
        cookie,
        origin: server.url,
        subprotocols: ['chat.v2'],
      });
      expect(result).toMatchObject({
        ok: true,
        acceptMatches: true,
        welcome: { type: 'welcome', user: 'py', protocol: 'chat.v2', transport: 'http/1.1' },
        closeCode: 1000,
      });
    });

    describe.skipIf(!h2)('Node’s http2 client, extended CONNECT by hand', () => {
      const authorized = async (name: string) => ({ cookie: await login(server.url, name), origin: server.url });

      it('200 with chat.v2, the welcome says h2, messages are broadcast', async () => {
        const s = await session();
        const { stream, response } = requestH2(s, '/chat', {
          protocols: ['chat.v1', 'chat.v2'],
          headers: await authorized('h2'),
        });
        expect(await response).toMatchObject({ ':status': 200, 'sec-websocket-protocol': 'chat.v2' });
        const socket = clientWebSocket(stream);
        const inbox = new Inbox();
        socket.on('message', (data) => inbox.push(data));
        expect(await inbox.next((m) => m.type === 'welcome')).toEqual({
          type: 'welcome',
          user: 'h2',
          protocol: 'chat.v2',
          transport: 'h2',
        });
        socket.send(JSON.stringify({ type: 'say', text: 'over h2' }));
        expect(await inbox.next((m) => m.type === 'message')).toEqual({ type: 'message', user: 'h2', text: 'over h2' });
        await closeSocket(socket);
      });

      it('refusals: 401 from the app’s auth, 403 foreign Origin, 400 no common subprotocol', async () => {
        const s = await session();
        const since = server.log().length;
        const noSession = await refusedH2(server.url, '/chat', {
          session: s,
          protocols: ['chat.v2'],
          headers: { origin: server.url },
        });
        expect(noSession).toMatchObject({ status: 401, body: '{"error":"login required"}' });
        const { cookie } = await authorized('h2');
        const foreign = await refusedH2(server.url, '/chat', {
          session: s,
          protocols: ['chat.v2'],
          headers: { cookie, origin: 'https://evil.example' },
        });
        expect(foreign).toMatchObject({ status: 403, headers: { 'wsgate-code': 'ORIGIN_FORBIDDEN' } });
        const v3 = await refusedH2(server.url, '/chat', {
          session: s,
          protocols: ['chat.v3'],
          headers: { cookie, origin: server.url },
        });
        expect(v3).toMatchObject({ status: 400, headers: { 'wsgate-code': 'NO_SUBPROTOCOL' } });
        await server.waitForLine(/wsgate reject ORIGIN_FORBIDDEN 403 \/chat/, { since, timeoutMs: 5000 });
      });

      it('a CONNECT without :protocol gets 405, a plain GET 400; without :path, nghttp2 resets the stream', async () => {
        const s = await session();
        const tunnel = s.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
        const [response] = await once(tunnel, 'response');
        expect(response[':status']).toBe(405);
        await readBody(tunnel);
        const plain = s.request({ ':path': '/chat' }); // a GET: 400 over HTTP/2 (a 426 would need Upgrade)
        expect((await once(plain, 'response'))[0]).toMatchObject({ ':status': 400, 'wsgate-code': 'NOT_AN_UPGRADE' });
        await readBody(plain);
        const noPath = await rawH2Request(server.port, [
          [':method', 'CONNECT'],
          [':protocol', 'websocket'],
          [':scheme', 'https'],
          [':authority', `127.0.0.1:${server.port}`],
          ['sec-websocket-version', '13'],
        ]);
        expect(noPath).toBe('RST_STREAM PROTOCOL_ERROR');
      });

      it('twenty WebSockets on one HTTP/2 connection', async () => {
        const s = await session();
        const headers = await authorized('many');
        const streams = await Promise.all(
          Array.from({ length: 20 }, async () => {
            const { stream, response } = requestH2(s, '/chat', { protocols: ['chat.v2'], headers });
            expect((await response)[':status']).toBe(200);
            return stream;
          }),
        );
        const sockets = streams.map((stream) => clientWebSocket(stream));
        const welcomes = await Promise.all(sockets.map((socket) => once(socket, 'message')));
        expect(welcomes.map(([data]) => JSON.parse(String(data)).transport)).toEqual(sockets.map(() => 'h2'));
        await Promise.all(sockets.map(closeSocket));
      });
    });

    it.skipIf(h2)('an HTTP/2 client is answered in HTTP/1.1 (ALPN offers no h2)', async () => {
      await expect(openSession(server.url)).rejects.toThrow();
    });
  });
}

describe('node-echo with TLS=1', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(exampleNamed('node-echo'), { env: { TLS: '1' } });
  });
  afterAll(async () => {
    if (!server) return;
    expect((await server.stop()).graceful).toBe(true);
  });

  it.skipIf(chromiumMissing)('the page over h2: its WebSocket comes over h2 and echoes', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      await waitForText(page, '#protocol', 'echo.v1');
      await waitForText(page, '#transport', 'h2');
      await page.fill('#t', 'hello');
      await page.press('#t', 'Enter');
      await waitForText(page, '#log', /echo: hello/);
    } finally {
      await context.close();
    }
  });

  it('ws over HTTP/1.1 echoes too', async () => {
    const opened = await openWs(`${server.url.replace('https:', 'wss:')}/echo`, ['echo.v1'], {
      headers: { Origin: server.url },
    });
    expect(opened.open).toBe(true);
    if (!opened.open) return;
    expect(await opened.inbox.next(() => true)).toEqual({ type: '(not JSON)', text: 'http/1.1' });
    opened.socket.send('"again"');
    expect(await opened.inbox.next(() => true)).toBe('again');
    await closeWs(opened.socket);
  });
});
