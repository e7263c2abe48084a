// Wiring mistakes a newcomer makes with the plugin, each detected and explained in words that say what to do.

import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wsgate } from '../src/index.js';
import { cleanup, open, refused } from './helpers.js';

afterEach(cleanup);

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function listen(app: FastifyInstance): Promise<string> {
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const declaredBefore =
  /a WebSocket handshake reached GET \/chat, a route declared before the plugin was registered.*await app\.register\(wsgate\)/;

describe('a route declared before `await app.register(wsgate)`', () => {
  it('a handshake on it: the app answers as for any request, and one warning says to register the plugin first', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const app = Fastify();
      // The WebSocket handler, run as an HTTP handler: `socket` is Fastify's request.
      app.get('/chat', { websocket: true }, (socket) => socket.send('hello'));
      await app.register(wsgate);
      app.get('/after', { websocket: true }, (socket) => socket.send('hello'));
      const url = await listen(app);

      for (let i = 0; i < 2; i++) expect((await refused(`${url}/chat`)).status).toBe(500);
      const warnings = warn.mock.calls.filter(([message]) => declaredBefore.test(String(message)));
      expect(warnings).toHaveLength(1);
      // Routes declared after the plugin, and handshakes to no route at all, are not warned about.
      await open(`${url}/after`);
      expect((await refused(`${url}/nowhere`)).status).toBe(404);
      expect(warn.mock.calls.filter(([message]) => String(message).includes('declared before'))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });

  it("a plain HTTP route declared before the plugin still answers a handshake; with Fastify's logger, the warning goes there", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line));
        callback();
      },
    });
    const app = Fastify({ logger: { level: 'info', stream } });
    app.get('/chat', async () => 'a page');
    await app.register(wsgate);
    const url = await listen(app);
    const answer = await refused(`${url}/chat`);
    expect([answer.status, answer.body]).toEqual([200, 'a page']);
    const warning = logs.find((line) => declaredBefore.test(String(line.msg)));
    expect(warning).toMatchObject({ level: 40, method: 'GET', url: '/chat' });
  });
});

describe('plugin options', () => {
  it('a bad option rejects `await app.register(...)` with a TypeError naming it (no uncaught exception)', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(wsgate, { handshakeTimeout: '10s' as never })).rejects.toThrow(
      'wsgate: option "handshakeTimeout" must be a number of milliseconds (0 disables), got the string "10s"',
    );
    const misspelled = Fastify();
    apps.push(misspelled);
    await expect(misspelled.register(wsgate, { subprotocol: ['chat'] } as never)).rejects.toThrow(
      'wsgate: unknown gate option "subprotocol" (did you mean "subprotocols"?)',
    );
    const timeout = Fastify();
    apps.push(timeout);
    await expect(timeout.register(wsgate, { closeTimeout: '5s' as never })).rejects.toThrow(
      '@wsgate/fastify: option "closeTimeout" must be a number of milliseconds, got string "5s"',
    );
  });

  it("Fastify's own register options (prefix, logLevel) are not taken for the gate's", async () => {
    const app = Fastify();
    await app.register(wsgate, { prefix: '/ignored', logLevel: 'warn', subprotocols: ['chat'] });
    app.get('/chat', { websocket: true }, (socket) => socket.send(socket.protocol));
    const url = await listen(app);
    const socket = await open(`${url}/chat`, { protocols: ['chat'] });
    expect(socket.protocol).toBe('chat');
  });
});
