// The kit's own proof that its in-memory path is the real one: the same table of cases, on every adapter,
// over the in-memory duplex and over a real TCP listener on 127.0.0.1:0, gives equal results (and the
// expected ones, so that two equally wrong paths would still fail).
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, handshake, openConnection } from '../src/index.js';
import type { Transport } from '../src/transport.js';
import { type Fixture, fixtures } from './apps.js';
import { handshakeRequest, maskedTextFrame, statusLine, until } from './raw.js';

interface Case {
  readonly name: string;
  readonly expected: unknown;
  run(fixture: Fixture, transport: Transport): Promise<unknown>;
}

const cases: Case[] = [
  {
    name: 'a refusal from the app’s middleware, with its body',
    expected: { status: 401, body: { error: 'login required' }, code: undefined, event: ['reject', 'REJECTED'] },
    async run(fixture, transport) {
      const response = await handshake(fixture.target, '/chat', { protocols: 'chat.v2', transport });
      return {
        status: response.status,
        body: JSON.parse(response.body),
        code: response.code,
        event: lastEvent(fixture),
      };
    },
  },
  {
    name: 'a core refusal, with its code',
    expected: {
      status: 403,
      code: 'ORIGIN_FORBIDDEN',
      body: '403 Forbidden: ORIGIN_FORBIDDEN\n',
      event: ['reject', 'ORIGIN_FORBIDDEN'],
    },
    async run(fixture, transport) {
      const response = await handshake(fixture.target, '/chat', {
        protocols: 'chat.v2',
        cookies: { sid: 'ada' },
        origin: 'http://evil.example',
        transport,
      });
      return { status: response.status, code: response.code, body: response.body, event: lastEvent(fixture) };
    },
  },
  {
    name: 'a frame in the same write as the request (the head bytes) reaches the handler',
    expected: { status: 'HTTP/1.1 101 Switching Protocols', received: ['early'] },
    async run(fixture, transport) {
      const connection = await openConnection(fixture.target, { transport });
      const head = statusLine(connection);
      const request = handshakeRequest('/chat', { Cookie: 'sid=ada', 'Sec-WebSocket-Protocol': 'chat.v2' });
      connection.write(Buffer.concat([Buffer.from(request, 'latin1'), maskedTextFrame('early')]));
      const status = await head;
      await until(() => fixture.received.length > 0, 'the handler to receive the early frame');
      connection.destroy();
      return { status, received: fixture.received };
    },
  },
  {
    name: 'a client that aborts during a slow middleware: nothing pending, the handler never called',
    expected: { pendingWhileWaiting: 1, pendingAfterAbort: 0, event: ['abort', 'CLIENT_GONE'], handled: 0 },
    async run(fixture, transport) {
      const connection = await openConnection(fixture.target, { transport });
      connection.on('data', () => {}); // nothing must come, but read whatever does
      connection.write(handshakeRequest('/slow'));
      await fixture.slow.entered;
      const pendingWhileWaiting = fixture.gate.pending;
      connection.destroy();
      await until(() => fixture.gate.pending === 0, 'the gate to notice the abort');
      const pendingAfterAbort = fixture.gate.pending;
      fixture.slow.release();
      // The middleware now goes on to the WebSocket route, which must find nothing left to accept.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { pendingWhileWaiting, pendingAfterAbort, event: lastEvent(fixture), handled: fixture.handled };
    },
  },
];

function lastEvent(fixture: Fixture): [string, string | undefined] | undefined {
  const event = fixture.events.at(-1);
  return event === undefined ? undefined : [event.outcome, event.code];
}

let open: Fixture[] = [];

afterEach(async () => {
  await closeAll();
  await Promise.all(open.map((fixture) => fixture.close()));
  open = [];
});

describe.each(fixtures)('$name: in memory and over TCP', ({ create }) => {
  it.each(cases)('$name', async ({ run, expected }) => {
    const results: Record<Transport, unknown> = { memory: undefined, tcp: undefined };
    for (const transport of ['memory', 'tcp'] as const) {
      const fixture = await create();
      open.push(fixture);
      results[transport] = await run(fixture, transport);
    }
    expect(results.memory).toEqual(expected);
    expect(results.tcp).toEqual(results.memory);
  });
});

// The one difference by default: the core's Host policy asks whether the connection arrived on a loopback
// address. Over TCP it did (the kit listens on 127.0.0.1); in memory there is no address, which counts as
// not loopback, so any well-formed Host is served. Given the address, memory answers as TCP does.
describe.each(fixtures)('$name: the default Host policy', ({ create }) => {
  it('a foreign Host: refused over TCP; served in memory without an address, refused with one', async () => {
    const outcomes: Record<string, unknown> = {};
    const ways = {
      tcp: { transport: 'tcp' },
      memory: {},
      'memory on 127.0.0.1': { connection: { localAddress: '127.0.0.1' } },
    } as const;
    for (const [way, options] of Object.entries(ways)) {
      const fixture = await create();
      open.push(fixture);
      const response = await handshake(fixture.target, '/chat', {
        ...options,
        host: 'rebound.example:3000', // and Origin http://rebound.example:3000: same-origin, as in a rebinding attack
        cookies: { sid: 'ada' },
        protocols: 'chat.v2',
      });
      outcomes[way] = [response.status, lastEvent(fixture)?.[1]];
    }
    expect(outcomes).toEqual({
      tcp: [403, 'HOST_FORBIDDEN'],
      memory: [101, undefined],
      'memory on 127.0.0.1': [403, 'HOST_FORBIDDEN'],
    });
  });
});
