// Hostile and broken clients over raw sockets, against the core and each adapter (issue 9): every abuse is
// answered with a clear HTTP status or a close, the process never crashes, nothing stays pending, and a
// normal handshake still works afterwards. The apps are in servers.ts (the same routes on every server).
import { once } from 'node:events';
import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  destroyClients,
  eventually,
  exchange,
  GARBAGE,
  handshakeRequest,
  RawClient,
  serverPayloads,
  sleep,
  textFrame,
} from './raw.js';
import { EVIL_VALUE, factories, SECRET, SHORT_DEADLINE_MS, type TestApp } from './servers.js';

const apps: TestApp[] = [];
const wsClients = new Set<WebSocket>();

afterEach(async () => {
  for (const socket of wsClients) socket.terminate();
  wsClients.clear();
  await destroyClients();
  const open = apps.splice(0);
  for (const app of open) for (const latch of Object.values(app.latches)) latch.release();
  await Promise.all(open.map((app) => app.close()));
});

/** Node's timeouts, small: headers must be complete in 300 ms, a request in 400 ms, checked every 50 ms. */
const TIGHT: http.ServerOptions = { headersTimeout: 300, requestTimeout: 400, connectionsCheckingInterval: 50 };

/** A `ws` client on /ws that has exchanged one message. */
async function echoClient(app: TestApp): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${app.port}/ws`);
  wsClients.add(socket);
  await once(socket, 'open');
  await expectEcho(socket, 'hello');
  return socket;
}

async function expectEcho(socket: WebSocket, text: string): Promise<void> {
  const reply = once(socket, 'message');
  socket.send(text);
  expect(String((await reply)[0])).toBe(text);
}

/** The server goes on: nothing pending, and a normal handshake and message exchange work. */
async function expectHealthy(app: TestApp): Promise<void> {
  await eventually(() => app.gate.pending === 0, 5_000, 'no pending handshake');
  const socket = await echoClient(app);
  socket.close();
  await once(socket, 'close');
  wsClients.delete(socket);
}

function eventsOf(app: TestApp, route: string) {
  return app.probe.events.filter((event) => event.route === route);
}

/** The first WebSocket frame a client received after the 101: a close frame, with its code. */
function closeFrameCode(client: RawClient): number | undefined {
  const frame = client.afterHead;
  if (frame.length < 4 || frame[0] !== 0x88) return undefined;
  return frame.readUInt16BE(2);
}

describe.each(factories)('%s', (_name, factory) => {
  async function start(options: http.ServerOptions = {}): Promise<TestApp> {
    const app = await factory(options);
    apps.push(app);
    return app;
  }

  describe('headers', () => {
    it('a header block over 16 KiB (one 20 KB header) gets Node’s 431 and the connection is closed', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/ws', { 'X-Big': 'a'.repeat(20_000) }));
      expect(client.status).toBe(431);
      expect(client.responses).toBe(1);
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });

    it('3,000 header lines (over 16 KiB) get 431', async () => {
      const app = await start();
      const many: Record<string, string> = {};
      for (let i = 0; i < 3_000; i++) many[`X-${i}`] = 'v';
      const client = await exchange(app.port, handshakeRequest(app.port, '/ws', many));
      expect(client.status).toBe(431);
      await expectHealthy(app);
    });

    it('2,500 tiny header lines (under 16 KiB, past Node’s 2,000) get Node’s 431, wherever the handshake’s own are', async () => {
      // Node 22 and later refuse a head over `maxHeadersCount` (HPE_HEADER_OVERFLOW) where Node 20 kept the
      // first 2,000 lines and dropped the rest: either way nothing dropped can make a request accepted.
      const app = await start();
      const [requestLine, ...rest] = handshakeRequest(app.port, '/ws').split('\r\n');
      const tiny = 'x:1\r\n'.repeat(2_500);
      const after = await exchange(app.port, handshakeRequest(app.port, '/ws').slice(0, -2) + tiny + '\r\n');
      const before = await exchange(app.port, `${requestLine}\r\n${tiny}${rest.join('\r\n')}`);
      for (const client of [after, before]) {
        expect(client.status).toBe(431);
        expect(client.responses).toBe(1);
      }
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });

    it('garbage instead of a request gets Node’s 400 and the connection is closed', async () => {
      const app = await start();
      const client = await exchange(app.port, '\x00\xff\x01garbage\r\n\r\n');
      expect(client.status).toBe(400);
      await expectHealthy(app);
    });

    it('garbage after the headers of an accepted request fails the WebSocket (1002), not the process', async () => {
      const app = await start();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/ws') + GARBAGE);
      await client.serverClosed();
      expect(client.status).toBe(101);
      expect(client.responses).toBe(1);
      expect(closeFrameCode(client)).toBe(1002); // RFC 6455 §7.4.1: protocol error
      expect(app.probe.handled).toEqual(['/ws']);
      await eventually(() => app.gate.connections.size === 0, 5_000, 'the connection closed');
      await expectHealthy(app);
    });

    it('garbage after the headers of a request the framework refuses: the refusal, then the close', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/auth') + GARBAGE);
      expect(client.status).toBe(401);
      expect(client.responses).toBe(1);
      expect(JSON.parse(client.afterHead.toString())).toEqual({ error: 'login required' });
      await expectHealthy(app);
    });

    it('a megabyte of garbage sent while the hook waits: the 101 at the release, then the WebSocket fails', async () => {
      const app = await start();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage2 === 1);
      client.write(Buffer.alloc(1024 * 1024, 'x')); // 0x78: RSV2 and RSV3 set, a protocol error
      await sleep(100);
      expect(app.gate.pending).toBe(1);
      app.latches.hook.release();
      await client.response();
      expect(client.status).toBe(101);
      await client.serverClosed(1_000);
      expect(closeFrameCode(client)).toBe(1002);
      await eventually(() => app.gate.connections.size === 0, 5_000, 'the connection closed');
    });

    it('1,000 frames (1 MB) sent while the hook waits are all read and echoed after the 101', async () => {
      const app = await start();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage2 === 1);
      const payload = 'e'.repeat(1_000);
      client.write(Buffer.concat(Array.from({ length: 1_000 }, () => textFrame(payload))));
      await sleep(100);
      app.latches.hook.release();
      expect(await client.response()).toBe(101);
      await client.until((c) => serverPayloads(c.afterHead).length === 1_000, 1_000);
      expect(serverPayloads(client.afterHead).every((text) => text === payload)).toBe(true);
      await expectHealthy(app);
    });

    it('frames sent while the hook waits (under 64 KiB) are read and echoed after the 101', async () => {
      const app = await start();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage2 === 1);
      client.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => textFrame(`early ${i}`))));
      await sleep(50);
      app.latches.hook.release();
      expect(await client.response()).toBe(101);
      await client.until((c) => serverPayloads(c.afterHead).length === 50);
      expect(serverPayloads(client.afterHead)).toEqual(Array.from({ length: 50 }, (_, i) => `early ${i}`));
      await expectHealthy(app);
    });
  });

  describe('Node’s timeouts', () => {
    it('slow headers are cut by headersTimeout (408) while an upgraded socket outlives requestTimeout', async () => {
      const app = await start(TIGHT);
      expect(app.server.headersTimeout).toBe(300);
      expect(app.server.requestTimeout).toBe(400);
      const upgraded = await echoClient(app);
      const slow = await RawClient.open(app.port);
      slow.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\n`);
      // A header line every 100 ms: never idle, never done.
      const trickle = setInterval(() => {
        if (!slow.isClosed) slow.write('X-Slow: 1\r\n');
      }, 100);
      try {
        await slow.serverClosed();
      } finally {
        clearInterval(trickle);
      }
      expect(slow.status).toBe(408);
      await sleep(2 * 400);
      await expectEcho(upgraded, 'still here');
      expect(app.gate.connections.size).toBe(1);
      await expectHealthy(app);
    });

    it('a handshake held in a slow middleware and hook past requestTimeout is not cut: the 101 comes', async () => {
      const app = await start(TIGHT);
      app.latches.middleware.hold();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage1 === 1);
      await sleep(400);
      app.latches.middleware.release();
      await eventually(() => app.probe.stage2 === 1);
      await sleep(400);
      expect(client.isClosed).toBe(false);
      expect(client.text).toBe('');
      app.latches.hook.release();
      expect(await client.response()).toBe(101);
      await eventually(() => app.probe.handled.length === 1);
      expect(app.probe.handled).toEqual(['/slow']);
      await expectHealthy(app);
    });
  });

  describe('hooks that fail', () => {
    it('a hook that throws synchronously: 500 HOOK_FAILED, no internal message, reported', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/throw'));
      expect(client.status).toBe(500);
      expect(client.responses).toBe(1);
      expect(client.text).not.toContain(SECRET);
      expect(eventsOf(app, '/throw')).toEqual([
        { outcome: 'reject', code: 'HOOK_FAILED', status: 500, route: '/throw' },
      ]);
      expect(app.probe.errors).toHaveLength(1);
      expect(String(app.probe.errors[0])).toContain(SECRET);
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });

    it('a hook whose promise rejects: 500 HOOK_FAILED, no internal message, reported', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/reject'));
      expect(client.status).toBe(500);
      expect(client.text).not.toContain(SECRET);
      expect(eventsOf(app, '/reject')).toEqual([
        { outcome: 'reject', code: 'HOOK_FAILED', status: 500, route: '/reject' },
      ]);
      expect(app.probe.errors).toHaveLength(1);
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });

    it('a hook that never settles: 503 HANDSHAKE_TIMEOUT with Retry-After at the deadline, its signal aborted', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/hang'));
      expect(client.status).toBe(503);
      expect(client.head.headers['retry-after']).toMatch(/^\d+$/);
      expect(eventsOf(app, '/hang')).toEqual([
        { outcome: 'reject', code: 'HANDSHAKE_TIMEOUT', status: 503, route: '/hang' },
      ]);
      expect(app.probe.signals).toHaveLength(1);
      expect(app.probe.signals[0]?.aborted).toBe(true);
      expect(app.probe.handled).toEqual([]);
      expect(app.probe.errors).toEqual([]);
      await expectHealthy(app);
    });

    it('a middleware that answers after the deadline: the client gets the 503 only, nothing breaks', async () => {
      const app = await start();
      app.latches.late.hold();
      const client = await exchange(app.port, handshakeRequest(app.port, '/late'));
      expect(client.status).toBe(503);
      expect(client.responses).toBe(1);
      app.latches.late.release();
      await eventually(() => app.probe.lateAnswered === 1);
      await sleep(SHORT_DEADLINE_MS); // whatever the framework does with its late answer, let it happen
      expect(eventsOf(app, '/late')).toEqual([
        { outcome: 'reject', code: 'HANDSHAKE_TIMEOUT', status: 503, route: '/late' },
      ]);
      expect(app.probe.errors).toEqual([]);
      await expectHealthy(app);
    });

    it('a header value with CR/LF set by the hook: 500 HOOK_FAILED, and the header is never written', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/crlf'));
      expect(client.status).toBe(500);
      expect(client.responses).toBe(1);
      expect(client.text).not.toContain('X-Evil');
      expect(client.text).not.toContain('pwned');
      expect(client.text).not.toContain(EVIL_VALUE);
      expect(eventsOf(app, '/crlf')).toEqual([{ outcome: 'reject', code: 'HOOK_FAILED', status: 500, route: '/crlf' }]);
      expect(app.probe.errors).toHaveLength(1);
      expect(app.probe.handled).toEqual([]);
      expect(app.gate.connections.size).toBe(0);
      await expectHealthy(app);
    });
  });

  describe('clients that go away', () => {
    it('gone during the framework’s middleware: nothing pending, the hook and the handler never run', async () => {
      const app = await start();
      app.latches.middleware.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage1 === 1 && app.gate.pending === 1);
      client.destroy();
      await eventually(() => app.gate.pending === 0, 5_000, 'the handshake no longer pending');
      expect(eventsOf(app, '/slow')).toEqual([
        { outcome: 'abort', code: 'CLIENT_GONE', status: undefined, route: '/slow' },
      ]);
      app.latches.middleware.release();
      await eventually(() => app.probe.stage1Done === 1);
      await sleep(20);
      expect(app.probe.stage2).toBe(0);
      expect(app.probe.handled).toEqual([]);
      expect(app.probe.errors).toEqual([]);
      await expectHealthy(app);
    });

    it('gone during the onUpgrade hook: nothing pending, its signal aborted, the handler never called', async () => {
      const app = await start();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage2 === 1);
      const signal = app.probe.signals[0];
      expect(signal?.aborted).toBe(false);
      client.destroy();
      await eventually(() => app.gate.pending === 0, 5_000, 'the handshake no longer pending');
      expect(signal?.aborted).toBe(true);
      app.latches.hook.release();
      await eventually(() => app.probe.stage2Done === 1);
      await sleep(20);
      expect(app.probe.handled).toEqual([]);
      expect(app.gate.connections.size).toBe(0);
      expect(app.probe.errors).toEqual([]);
      expect(eventsOf(app, '/slow').map((event) => event.outcome)).toEqual(['abort']);
      await expectHealthy(app);
    });

    it('gone during the hook: a signal the hook reads only afterwards is aborted too', async () => {
      const app = await start();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/lazy'));
      await eventually(() => app.probe.lazy === 1);
      client.destroy();
      await eventually(() => app.gate.pending === 0, 5_000, 'the handshake no longer pending');
      app.latches.hook.release();
      await eventually(() => app.probe.lazyAborted.length === 1);
      expect(app.probe.lazyAborted).toEqual([true]);
      expect(app.probe.handled).toEqual([]);
    });

    it('a client that half-closes during the hook is a client gone: no 101, the handler never called', async () => {
      const app = await start();
      app.latches.hook.hold();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/slow'));
      await eventually(() => app.probe.stage2 === 1);
      client.socket.end();
      await eventually(() => app.gate.pending === 0, 5_000, 'the handshake no longer pending');
      app.latches.hook.release();
      await eventually(() => app.probe.stage2Done === 1);
      await client.closed;
      expect(client.text).toBe('');
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });
  });

  describe('a second request pipelined after the upgrade request', () => {
    it('after an accepted one: the 101, then the WebSocket fails (1002); the second is never answered', async () => {
      const app = await start();
      const client = await RawClient.open(app.port);
      client.write(handshakeRequest(app.port, '/ws') + handshakeRequest(app.port, '/ws'));
      await client.serverClosed();
      expect(client.status).toBe(101);
      expect(client.responses).toBe(1);
      expect(closeFrameCode(client)).toBe(1002);
      expect(app.probe.handled).toEqual(['/ws']);
      await eventually(() => app.gate.connections.size === 0, 5_000, 'the connection closed');
      await expectHealthy(app);
    });

    it('after one the framework refuses: only that refusal is written', async () => {
      const app = await start();
      const second = handshakeRequest(app.port, '/auth', { 'X-User': 'ada' });
      const client = await exchange(app.port, handshakeRequest(app.port, '/auth') + second);
      expect(client.status).toBe(401);
      expect(client.responses).toBe(1);
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });

    it('after one the core refuses before routing (bad version): only that refusal is written', async () => {
      const app = await start();
      const first = handshakeRequest(app.port, '/ws').replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 12');
      const client = await exchange(app.port, first + handshakeRequest(app.port, '/ws'));
      expect(client.status).toBe(426);
      expect(client.head.headers['sec-websocket-version']).toBe('13');
      expect(client.responses).toBe(1);
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });

    it('after one whose hook fails: only the 500 is written', async () => {
      const app = await start();
      const client = await exchange(app.port, handshakeRequest(app.port, '/throw') + handshakeRequest(app.port, '/ws'));
      expect(client.status).toBe(500);
      expect(client.responses).toBe(1);
      expect(app.probe.handled).toEqual([]);
      await expectHealthy(app);
    });
  });

  describe('many handshakes pending at once', () => {
    it('1,000 held in the middleware and the hook are all answered with a 101 when released', async () => {
      const app = await start();
      const count = 1_000;
      app.latches.middleware.hold();
      app.latches.hook.hold();
      const clients: RawClient[] = [];
      for (let i = 0; i < count; i++) {
        const client = new RawClient(app.port);
        client.write(handshakeRequest(app.port, '/slow'));
        clients.push(client);
        if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
      }
      await eventually(() => app.probe.stage1 === count, 20_000, `${count} handshakes in the middleware`);
      expect(app.gate.pending).toBe(count);
      // Meanwhile the server goes on serving.
      const other = await echoClient(app);
      other.close();
      app.latches.middleware.release();
      await eventually(() => app.probe.stage2 === count, 20_000, `${count} handshakes in the hook`);
      expect(app.gate.pending).toBe(count);
      expect(clients.every((client) => client.text === '')).toBe(true);
      app.latches.hook.release();
      const statuses = await Promise.all(clients.map((client) => client.response(20_000)));
      expect(statuses.filter((status) => status === 101)).toHaveLength(count);
      await eventually(() => app.probe.handled.length === count + 1);
      expect(app.gate.pending).toBe(0);
      for (const client of clients) client.destroy();
      await eventually(() => app.gate.connections.size === 0, 10_000, 'every connection closed');
      await expectHealthy(app);
    }, 60_000);
  });
});
