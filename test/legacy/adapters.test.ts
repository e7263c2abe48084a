// The legacy draft-76 handshake through the same gate on every server (issue 14): a raw draft-76 client over
// real TCP against plain core, Express, Koa and Fastify routes that enable it with `legacy: ['hixie-76']`.
// The framework's own middleware, cookies, the hook, quotas and the deadline apply as they do to RFC 6455;
// a route without `legacy` answers 426 as to any version it does not speak. The apps are in app.ts. What a
// draft-76 handshake gets as an HTTP/1.1 one does (Origin, Host, subprotocols, the app's own 401, the hook's
// refusal, 426 on a route without `legacy`) is the contract table's, over every transport
// (test/contract/transports.test.ts); here is what only draft-76 has.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  connectHixie76,
  type Hixie76Outcome,
  type Hixie76Request,
} from '../../packages/core/test/fixtures/hixie76-client.js';
import { eventually } from '../abuse/raw.js';
import { factories, type LegacyApp, MAX_PAYLOAD } from './app.js';

const apps: LegacyApp[] = [];
const clients = new Set<{ destroy(): void }>();

afterEach(async () => {
  for (const client of clients) client.destroy();
  clients.clear();
  const open = apps.splice(0);
  for (const app of open) expect(app.errors).toEqual([]);
  await Promise.all(open.map((app) => app.close()));
});

/** The draft's §1.3 example request: its keys, its eight bytes, and the answer the draft gives. */
const EXAMPLE = {
  key1: '4 @1  46546xW%0l 1 5',
  key2: '12998 5 Y3 1  .P00',
  key3: Buffer.from('^n:ds[4U', 'latin1'),
  answer: "8jKS'y:G*Co,Wxa-",
};

async function connect(app: LegacyApp, path: string, request: Partial<Hixie76Request> = {}) {
  const outcome = await connectHixie76(app.port, { path, ...request });
  if (outcome.accepted) clients.add(outcome.connection.socket);
  return outcome;
}

function accepted(outcome: Hixie76Outcome) {
  if (!outcome.accepted) throw new Error(`refused: ${outcome.status} ${outcome.body}`);
  return outcome.connection;
}

/** A refusal from the core's table: the status, the code in the Wsgate-Code header and in the body. */
function expectRow(outcome: Hixie76Outcome, status: number, code: string) {
  expect(outcome).toMatchObject({ accepted: false, status, headers: { 'wsgate-code': code } });
  expect(outcome.accepted === false && outcome.body).toMatch(new RegExp(`^${status} [A-Za-z ]+: ${code}\\n$`));
}

describe.each(factories)('%s, a route with legacy: ["hixie-76"]', (_name, factory) => {
  async function start() {
    const app = await factory();
    apps.push(app);
    return app;
  }

  it('chats with a raw draft-76 client; the handler sees transport hixie-76, the cookies, the context', async () => {
    const app = await start();
    const connection = accepted(await connect(app, '/legacy', { cookie: 'user=alice' }));
    const frameworkUser = app.name === 'core' ? 'n/a' : 'alice';
    expect(await connection.nextMessage()).toBe(`hixie-76 alice ${frameworkUser}`);
    for (const text of ['hello', '', 'héllo 日本語 😀']) {
      connection.send(text);
      expect(await connection.nextMessage()).toBe(`echo: ${text}`);
    }
    expect(app.handled).toMatchObject([{ route: '/legacy', transport: 'hixie-76' }]);
    expect(app.gate.connections.size).toBe(1);
  });

  it('serves an RFC 6455 client on the same route (transport http/1.1)', async () => {
    const app = await start();
    const socket = new WebSocket(`ws://127.0.0.1:${app.port}/legacy`, { origin: `http://127.0.0.1:${app.port}` });
    clients.add({ destroy: () => socket.terminate() });
    const [greeting] = await once(socket, 'message');
    expect(String(greeting)).toMatch(/^http\/1\.1 anonymous /);
    expect(app.handled).toMatchObject([{ route: '/legacy', transport: 'http/1.1' }]);
  });

  it("answers the draft's worked example (§1.3) byte for byte", async () => {
    const app = await start();
    const outcome = await connect(app, '/demo', {
      host: 'example.com',
      origin: 'http://example.com',
      protocol: 'sample',
      key1: EXAMPLE.key1,
      key2: EXAMPLE.key2,
      key3: EXAMPLE.key3,
    });
    accepted(outcome);
    expect(outcome.accepted && outcome.raw.toString('latin1')).toBe(
      'HTTP/1.1 101 WebSocket Protocol Handshake\r\n' +
        'Upgrade: WebSocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Origin: http://example.com\r\n' +
        'Sec-WebSocket-Location: ws://example.com/demo\r\n' +
        'Sec-WebSocket-Protocol: sample\r\n' +
        '\r\n' +
        EXAMPLE.answer +
        // the handler's greeting, the first frame
        '\x00hixie-76 undefined undefined\xff',
    );
  });

  it.each([
    ['key1 without spaces', { key1: '12345678' }],
    ['key2 without spaces', { key2: '1x2y3z' }],
    ['a key whose number is not a multiple of its spaces', { key1: '1 0 1' }],
    ['a key over 2^32 - 1', { key2: '4294967296 ' }],
  ])('refuses %s: 400 BAD_KEY, before the app sees it', async (_why, keys) => {
    const app = await start();
    expectRow(await connect(app, '/legacy', keys), 400, 'BAD_KEY');
    expect(app.handled).toEqual([]);
  });

  it.each(['split', 'later'] as const)('accepts the eight key bytes sent %s', async (key3Delivery) => {
    const app = await start();
    const connection = accepted(await connect(app, '/legacy', { key3Delivery }));
    expect(await connection.nextMessage()).toMatch(/^hixie-76 /);
  });

  it('key bytes that never come: 503 HANDSHAKE_TIMEOUT at the route deadline, nothing left pending', async () => {
    const app = await start();
    const outcome = await connect(app, '/legacy', { key3Delivery: 'never' });
    expectRow(outcome, 503, 'HANDSHAKE_TIMEOUT');
    expect(outcome.accepted === false && outcome.headers['retry-after']).toBe('1');
    expect(app.handled).toEqual([]);
    await eventually(() => app.gate.pending === 0, 2_000, 'no pending handshake');
  });

  it("the route's middleware that never goes on: 503 HANDSHAKE_TIMEOUT", async () => {
    const app = await start();
    expectRow(await connect(app, '/legacy-stall'), 503, 'HANDSHAKE_TIMEOUT');
    expect(app.handled).toEqual([]);
  });

  it('a quota counts draft-76 connections and gives the place back when one closes', async () => {
    const app = await start();
    const first = accepted(await connect(app, '/legacy-quota'));
    expectRow(await connect(app, '/legacy-quota'), 429, 'QUOTA_EXCEEDED');
    first.close();
    await first.closed;
    await eventually(() => app.gate.connections.size === 0, 2_000, 'the first connection gone');
    accepted(await connect(app, '/legacy-quota'));
  });

  it('delivers a frame pipelined right after the eight key bytes', async () => {
    const app = await start();
    const pipelined = Buffer.concat([Buffer.of(0x00), Buffer.from('early'), Buffer.of(0xff)]);
    const connection = accepted(await connect(app, '/legacy', { pipelined }));
    expect(await connection.nextMessage()).toMatch(/^hixie-76 /);
    expect(await connection.nextMessage()).toBe('echo: early');
  });

  it('fails the connection on a frame over maxPayload, without a closing frame; the handler sees 1009', async () => {
    const app = await start();
    const connection = accepted(await connect(app, '/legacy'));
    expect(await connection.nextMessage()).toMatch(/^hixie-76 /);
    connection.send('x'.repeat(MAX_PAYLOAD + 1));
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(false);
    await eventually(() => app.handled[0]?.closeCode !== undefined, 2_000, 'the handler saw the close');
    expect(app.handled[0]?.closeCode).toBe(1009);
  });

  it('closes from the client: the server answers 0xFF 0x00 and ends; the handler sees 1005', async () => {
    const app = await start();
    const connection = accepted(await connect(app, '/legacy'));
    expect(await connection.nextMessage()).toMatch(/^hixie-76 /);
    connection.close();
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(true);
    await eventually(() => app.handled[0]?.closeCode !== undefined, 2_000, 'the handler saw the close');
    expect(app.handled[0]?.closeCode).toBe(1005);
    await eventually(() => app.gate.connections.size === 0, 2_000, 'no connection left');
  });

  it('closes from the server: socket.close() sends 0xFF 0x00, the client answers, the handler sees 1005', async () => {
    const app = await start();
    const connection = accepted(await connect(app, '/legacy'));
    expect(await connection.nextMessage()).toMatch(/^hixie-76 /);
    connection.send('bye');
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(true);
    expect(connection.garbage).toBe(false);
    await eventually(() => app.handled[0]?.closeCode !== undefined, 2_000, 'the handler saw the close');
    expect(app.handled[0]?.closeCode).toBe(1005);
  });

  it('shutting down closes a draft-76 connection with its closing handshake', async () => {
    const app = await start();
    const connection = accepted(await connect(app, '/legacy'));
    expect(await connection.nextMessage()).toMatch(/^hixie-76 /);
    apps.splice(apps.indexOf(app), 1);
    const closing = app.close();
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(true);
    await closing;
    expect(app.errors).toEqual([]);
  });

  it("a draft-76 handshake for a path without a WebSocket route is the app's to answer, as a plain GET", async () => {
    const app = await start();
    const plain = await fetch(`http://127.0.0.1:${app.port}/nowhere`);
    const outcome = await connect(app, '/nowhere');
    expect(outcome).toMatchObject({ accepted: false, status: plain.status });
    expect(outcome.accepted === false && outcome.body).toBe(await plain.text());
  });
});
