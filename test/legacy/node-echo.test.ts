// examples/node-echo as a user runs it (its own process, PORT=0, test/e2e/launcher.ts): /legacy-echo serves a
// raw draft-76 client under the same Origin and Host rules as /echo, which stays RFC 6455 only; the raw-client
// command of the example's README, run through printf, gets the draft's answer byte for byte.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectHixie76, type Hixie76Outcome } from '../../packages/core/test/fixtures/hixie76-client.js';
import { repoRoot } from '../e2e/examples.js';
import { type RunningServer, startServer } from '../e2e/launcher.js';

const cwd = join(repoRoot, 'examples/node-echo');
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ name: 'node-echo', command: 'node src/server.js', cwd });
});
afterAll(async () => {
  await server?.stop();
});

function accepted(outcome: Hixie76Outcome) {
  if (!outcome.accepted) throw new Error(`refused: ${outcome.status} ${outcome.body}`);
  return outcome.connection;
}

function expectRow(outcome: Hixie76Outcome, status: number, code: string) {
  expect(outcome).toMatchObject({ accepted: false, status, headers: { 'wsgate-code': code } });
}

/** Everything the server sends on one connection after `bytes`, until it closes the connection. */
async function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(bytes);
  await once(socket, 'close');
  return Buffer.concat(chunks);
}

describe('examples/node-echo: /legacy-echo', () => {
  it('chats with a raw draft-76 client and closes cleanly when the client closes', async () => {
    const connection = accepted(await connectHixie76(server.port, { path: '/legacy-echo' }));
    for (const text of ['hello', 'héllo 日本語 😀', 'x'.repeat(10_000)]) {
      connection.send(text);
      expect(await connection.nextMessage()).toBe(text);
    }
    connection.close();
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(true);
    expect(connection.garbage).toBe(false);
  });

  it('takes the eight key bytes split across packets', async () => {
    const connection = accepted(await connectHixie76(server.port, { path: '/legacy-echo', key3Delivery: 'split' }));
    connection.send('split');
    expect(await connection.nextMessage()).toBe('split');
    connection.socket.destroy();
  });

  it("the README's raw-client command gets the draft's answer (§1.3) byte for byte", async () => {
    const readme = readFileSync(join(cwd, 'README.md'), 'utf8');
    const format = /printf '([^']+)'/.exec(readme)?.[1];
    expect(format).toBeDefined();
    const request = execFileSync('printf', [(format as string).replaceAll('3000', String(server.port))]);
    const origin = `http://127.0.0.1:${server.port}`;
    expect((await exchange(server.port, request)).toString('latin1')).toBe(
      'HTTP/1.1 101 WebSocket Protocol Handshake\r\n' +
        'Upgrade: WebSocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Origin: ${origin}\r\n` +
        `Sec-WebSocket-Location: ws://127.0.0.1:${server.port}/legacy-echo\r\n` +
        '\r\n' +
        "8jKS'y:G*Co,Wxa-" +
        '\x00hello\xff' +
        '\xff\x00',
    );
  });

  it('has the same Origin and Host rules as /echo', async () => {
    const path = '/legacy-echo';
    expectRow(await connectHixie76(server.port, { path, origin: 'http://evil.example' }), 403, 'ORIGIN_FORBIDDEN');
    expectRow(await connectHixie76(server.port, { path, host: 'evil.example' }), 403, 'HOST_FORBIDDEN');
    // A page on a rebinding name whose Origin matches its own Host: only the Host allowlist notices.
    const rebinding = { path, host: 'rebind.example:80', origin: 'http://rebind.example' };
    expectRow(await connectHixie76(server.port, rebinding), 403, 'HOST_FORBIDDEN');
  });

  it('refuses keys the draft refuses: 400 BAD_KEY', async () => {
    const path = '/legacy-echo';
    expectRow(await connectHixie76(server.port, { path, key1: '1234' }), 400, 'BAD_KEY');
    expectRow(await connectHixie76(server.port, { path, key2: '1 0 1' }), 400, 'BAD_KEY');
  });

  it('serves RFC 6455 clients too, binary included', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/legacy-echo`);
    await once(socket, 'open');
    socket.send(Buffer.from([1, 2, 3]));
    const [data, isBinary] = await once(socket, 'message');
    expect([...(data as Buffer)]).toEqual([1, 2, 3]);
    expect(isBinary).toBe(true);
    socket.close();
    await once(socket, 'close');
  });
});

describe('examples/node-echo: /echo', () => {
  it('answers a draft-76 client 426 UNSUPPORTED_VERSION with Sec-WebSocket-Version: 13 (legacy is per route)', async () => {
    const outcome = await connectHixie76(server.port, { path: '/echo' });
    expectRow(outcome, 426, 'UNSUPPORTED_VERSION');
    expect(outcome.accepted === false && outcome.headers['sec-websocket-version']).toBe('13');
  });
});
