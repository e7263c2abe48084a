// The raw draft-76 client against the pure handshake functions and Hixie76Socket, over Node's own HTTP
// parser and real sockets, through the gate's own draft-76 transport (fixtures/hixie76-server.ts).
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hixie76Socket } from '../../src/engine/hixie76.js';
import {
  connectHixie76,
  expectedChallenge,
  generateHixie76Key,
  type Hixie76Outcome,
} from '../fixtures/hixie76-client.js';
import { type Hixie76TestServer, startHixie76Server } from '../fixtures/hixie76-server.js';
import { eventually } from '../helpers.js';

const servers: Hixie76TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function echoServer(closes: number[] = [], options = {}) {
  const server = await startHixie76Server((socket: Hixie76Socket) => {
    socket.on('message', (text) => socket.send(`echo: ${text}`));
    socket.on('close', (code) => closes.push(code));
  }, options);
  servers.push(server);
  return server;
}

function accepted(outcome: Hixie76Outcome) {
  if (!outcome.accepted) throw new Error(`refused: ${outcome.status} ${outcome.body}`);
  return outcome;
}

describe('the draft-76 handshake over a real socket', () => {
  it("the §1.3 example's keys survive Node's parser (inner double spaces) and the challenge checks", async () => {
    const server = await echoServer();
    const outcome = accepted(
      await connectHixie76(server.port, {
        path: '/demo',
        origin: 'http://example.com',
        protocol: 'sample',
        key1: '4 @1  46546xW%0l 1 5',
        key2: '12998 5 Y3 1  .P00',
        key3: Buffer.from('^n:ds[4U', 'latin1'),
      }),
    );
    expect(outcome.statusLine).toBe('HTTP/1.1 101 WebSocket Protocol Handshake');
    expect(outcome.raw.subarray(-16).toString('latin1')).toBe("8jKS'y:G*Co,Wxa-");
    expect(outcome.headers).toEqual({
      upgrade: 'WebSocket',
      connection: 'Upgrade',
      'sec-websocket-origin': 'http://example.com',
      'sec-websocket-location': `ws://127.0.0.1:${server.port}/demo`,
      'sec-websocket-protocol': 'sample',
    });
    outcome.connection.close();
    await outcome.connection.closed;
  });

  it.each(['with-headers', 'later', 'split'] as const)('accepts key3 sent %s', async (key3Delivery) => {
    const server = await echoServer();
    const { connection } = accepted(await connectHixie76(server.port, { key3Delivery }));
    connection.send('hi');
    expect(await connection.nextMessage()).toBe('echo: hi');
    connection.socket.destroy();
  });

  it('reports a refusal as a value when key3 never comes', async () => {
    const server = await echoServer([], { key3TimeoutMs: 100 });
    const outcome = await connectHixie76(server.port, { key3Delivery: 'never' });
    expect(outcome).toMatchObject({ accepted: false, status: 503, headers: { 'retry-after': '1' } });
  });

  it('reports a bad key as 400 with its body', async () => {
    const server = await echoServer();
    const outcome = await connectHixie76(server.port, { key1: 'nospaces1' });
    expect(outcome).toMatchObject({ accepted: false, status: 400, statusLine: 'HTTP/1.1 400 Bad Request' });
    expect(outcome.accepted === false && outcome.body).toBe('400 Bad Request: BAD_KEY\n');
  });

  it('sends custom headers, cookies, Origin and the protocol; the server sees them as sent', async () => {
    let protocol: string | undefined;
    const server = await startHixie76Server((socket) => {
      protocol = socket.protocol;
    });
    servers.push(server);
    const { connection } = accepted(
      await connectHixie76(server.port, {
        path: '/chat?room=1',
        origin: 'https://app.example',
        cookie: 'sid=abc; theme=dark',
        protocol: 'chat',
        headers: { 'X-Trace': ['a', 'b'], 'User-Agent': 'draft-76 test' },
      }),
    );
    const [request] = server.requests;
    expect(request?.url).toBe('/chat?room=1');
    expect(request?.headers).toMatchObject({
      origin: 'https://app.example',
      cookie: 'sid=abc; theme=dark',
      'sec-websocket-protocol': 'chat',
      'x-trace': 'a, b',
      'user-agent': 'draft-76 test',
    });
    expect(protocol).toBe('chat');
    connection.socket.destroy();
  });

  it('delivers frames pipelined right after key3, before the answer was read', async () => {
    const server = await echoServer();
    const pipelined = Buffer.concat([Buffer.of(0x00), Buffer.from('early'), Buffer.of(0xff)]);
    const { connection } = accepted(await connectHixie76(server.port, { pipelined }));
    expect(await connection.nextMessage()).toBe('echo: early');
    connection.socket.destroy();
  });
});

describe('messages and closing, end to end', () => {
  it('echoes many messages in order, in any script', async () => {
    const server = await echoServer();
    const { connection } = accepted(await connectHixie76(server.port));
    const texts = ['a', '', 'héllo', '日本語', '😀 emoji', 'x'.repeat(100_000)];
    for (const text of texts) connection.send(text);
    for (const text of texts) expect(await connection.nextMessage()).toBe(`echo: ${text}`);
    connection.socket.destroy();
  });

  it("the client's 0xFF 0x00 is answered and the server ends the connection; the handler sees 1005", async () => {
    const closes: number[] = [];
    const server = await echoServer(closes);
    const { connection } = accepted(await connectHixie76(server.port));
    connection.close();
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(true);
    await eventually(() => closes.length === 1);
    expect(closes).toEqual([1005]);
  });

  it("the server's close() is answered by the client and the connection ends cleanly", async () => {
    const closes: number[] = [];
    const server = await startHixie76Server((socket) => {
      socket.on('close', (code) => closes.push(code));
      socket.on('message', () => socket.close());
    });
    servers.push(server);
    const { connection } = accepted(await connectHixie76(server.port));
    connection.send('bye');
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(true);
    expect(connection.garbage).toBe(false);
    await eventually(() => closes.length === 1);
    expect(closes).toEqual([1005]);
  });

  it('an oversize message fails the connection without a closing frame', async () => {
    const closes: number[] = [];
    const server = await echoServer(closes, { maxPayload: 10 });
    const { connection } = accepted(await connectHixie76(server.port));
    connection.send('x'.repeat(11));
    await connection.closed;
    expect(connection.closeFrameReceived).toBe(false);
    await eventually(() => closes.length === 1);
    expect(closes).toEqual([1009]);
  });
});

describe('the challenge through a real server, for random keys (property)', () => {
  // A TCP handshake per case: fewer cases than the pure properties, the same in `pnpm test` and the fuzz run.
  const numRuns = Math.min(200, fc.readConfigureGlobal().numRuns ?? 200);
  const draws = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 });

  it("answers the MD5 of the numbers hidden in any two keys of §4.1's client and any eight key bytes", async () => {
    const server = await echoServer();
    await fc.assert(
      fc.asyncProperty(draws, draws, fc.uint8Array({ minLength: 8, maxLength: 8 }), async (draws1, draws2, bytes) => {
        const random = (draws: number[]) => {
          let i = 0;
          return () => draws[i++ % draws.length] as number;
        };
        const key1 = generateHixie76Key(random(draws1));
        const key2 = generateHixie76Key(random(draws2));
        const key3 = Buffer.from(bytes); // any bytes: CR LF, 0x00 and 0xFF included, are key bytes, never frames
        const outcome = accepted(await connectHixie76(server.port, { key1: key1.key, key2: key2.key, key3 }));
        const head = outcome.raw.indexOf('\r\n\r\n') + 4;
        expect(outcome.raw.subarray(head, head + 16)).toEqual(expectedChallenge(key1.number, key2.number, key3));
        outcome.connection.send('after');
        expect(await outcome.connection.nextMessage()).toBe('echo: after');
        outcome.connection.socket.destroy();
      }),
      { numRuns },
    );
  });
});
