// pipeline.ts without sockets: a transport that records what it is told to write, as values. What the bytes look
// like is the transports' own tests' concern (test/transport, test/serve); here, only the order and the outcomes.

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Accept } from '../../src/decision/decide.js';
import type { WireFacts } from '../../src/decision/facts.js';
import type { RouteOptions } from '../../src/decision/route.js';
import { compileRoute } from '../../src/decision/route.js';
import type { HandshakeEvent } from '../../src/lifecycle/events.js';
import { GateState } from '../../src/lifecycle/gate-state.js';
import { accept, admit, admitAndAccept, open } from '../../src/lifecycle/pipeline.js';
import { type Rejection, reject } from '../../src/protocol/rejection.js';
import type { Transport } from '../../src/transport/transport.js';

type Written = { kind: 'reject'; rejection: Rejection } | { kind: 'accept'; accept: Accept } | { kind: 'abandon' };

/** A transport whose writes are values: what the pipeline told it to write, in order. */
class RecordingTransport implements Transport {
  readonly name = 'http/1.1' as const;
  readonly request: IncomingMessage;
  readonly wire: WireFacts;
  readonly written: Written[] = [];
  readonly #check: Rejection | undefined;
  gone: (() => void) | undefined;

  constructor(lines: string[], options: { check?: Rejection; host?: string } = {}) {
    const host = options.host ?? 'localhost:3000';
    const rawHeaders = ['Host', host, ...lines];
    this.request = { method: 'GET', url: '/chat', rawHeaders, headers: {}, socket: {} } as unknown as IncomingMessage;
    this.#check = options.check;
    this.wire = {
      transport: 'http/1.1',
      request: this.request,
      headers: rawHeaders,
      hostHeader: host,
      authority: host,
      encrypted: false,
      peerAddress: '127.0.0.1',
    };
  }

  check(): Rejection | undefined {
    return this.#check;
  }
  watch(gone: () => void): void {
    this.gone = gone;
  }
  unwatch(): void {
    this.gone = undefined;
  }
  abandon(): void {
    this.written.push({ kind: 'abandon' });
  }
  reject(rejection: Rejection): void {
    this.written.push({ kind: 'reject', rejection });
  }
  accept(accepted: Accept): WebSocket {
    // A real ws socket that never had a connection (as ws's own server makes one before its 101); made before
    // the write is recorded, since a transport throws only before writing anything.
    const socket = new WebSocket(null as unknown as string, undefined, {}); // ws's own server passes null
    this.written.push({ kind: 'accept', accept: accepted });
    return socket;
  }
}

function setup(options: RouteOptions<unknown> = {}, handler = (_socket: WebSocket, _connection: unknown) => {}) {
  const events: HandshakeEvent[] = [];
  const gate = new GateState({
    hosts: ['localhost:3000'],
    logRejections: false,
    onEvent: (event) => event.outcome !== 'close' && events.push(event),
  });
  const route = compileRoute('/chat', gate.options, options, handler);
  return { gate, route, events };
}

const sameOrigin = ['Origin', 'http://localhost:3000'];

describe('pipeline: open -> admit -> accept, as values', () => {
  it("open writes the transport's own refusal and opens nothing", () => {
    const { gate, events } = setup();
    const transport = new RecordingTransport([], { check: reject.badKey });
    expect(open(gate, transport)).toBeUndefined();
    expect(transport.written).toEqual([{ kind: 'reject', rejection: reject.badKey }]);
    expect(gate.pending).toBe(0);
    expect(events.map((event) => [event.outcome, event.code])).toEqual([['reject', 'BAD_KEY']]);
  });

  it('open refuses a Host the gate does not serve, before any route is known', () => {
    const { gate } = setup();
    const transport = new RecordingTransport(sameOrigin, { host: 'attacker.example' });
    expect(open(gate, transport)).toBeUndefined();
    expect(transport.written.map((w) => w.kind === 'reject' && w.rejection.code)).toEqual(['HOST_FORBIDDEN']);
  });

  it('a synchronous handshake is accepted in the turn that opened it, and the handler gets the socket', () => {
    const calls: unknown[] = [];
    const { gate, route, events } = setup(
      { subprotocols: ['chat.v2', 'chat.v1'], onUpgrade: () => ({ user: 'ada' }) },
      (_socket, connection) => calls.push(connection),
    );
    const transport = new RecordingTransport([...sameOrigin, 'Sec-WebSocket-Protocol', 'chat.v1, chat.v2']);
    const handshake = open(gate, transport);
    expect(handshake).toBeDefined();
    expect(gate.pending).toBe(1);
    const result = admitAndAccept(handshake!, route);
    expect(result).toBeUndefined(); // no promise: decided and answered synchronously
    expect(transport.written).toHaveLength(1);
    const [written] = transport.written;
    expect(written?.kind === 'accept' && written.accept.protocol).toBe('chat.v2');
    expect(gate.pending).toBe(0);
    expect(calls).toEqual([expect.objectContaining({ context: { user: 'ada' }, protocol: 'chat.v2', route: '/chat' })]);
    expect(events.map((event) => event.outcome)).toEqual(['accept']);
  });

  it('admit refuses a cross-origin request: nothing admitted, and a second admit writes nothing more', () => {
    const { gate, route } = setup();
    const transport = new RecordingTransport(['Origin', 'https://evil.example']);
    const handshake = open(gate, transport)!;
    expect(admit(handshake, route)).toBeUndefined();
    expect(admit(handshake, route)).toBeUndefined();
    expect(transport.written.map((w) => w.kind === 'reject' && w.rejection.code)).toEqual(['ORIGIN_FORBIDDEN']);
  });

  it('admit hands back what it admitted and accept takes it: the admission runs once', async () => {
    let asked = 0;
    const { gate, route } = setup({
      origin: async (origin) => {
        asked++;
        return origin === 'http://localhost:3000';
      },
    });
    const transport = new RecordingTransport(sameOrigin);
    const admitted = await admit(open(gate, transport)!, route);
    expect(admitted?.route).toBe(route);
    expect(transport.written).toEqual([]); // nothing written between the two steps
    await accept(admitted!);
    expect(asked).toBe(1);
    expect(transport.written.map((w) => w.kind)).toEqual(['accept']);
  });

  it('the observer given at open is told the outcome once, with the status the client got', () => {
    const { gate, route } = setup();
    const told: unknown[] = [];
    const app = {
      headersSent: false,
      writableEnded: false,
      statusCode: 200,
      settled: (...args: unknown[]) => told.push(args),
    };
    const transport = new RecordingTransport(sameOrigin);
    admitAndAccept(open(gate, transport, app)!, route);
    expect(told).toEqual([[101, false]]);
    const refused = new RecordingTransport(['Origin', 'https://evil.example']);
    admitAndAccept(open(gate, refused, app)!, route);
    expect(told).toEqual([
      [101, false],
      [403, false],
    ]);
  });

  it("the hook's rejection is written as the hook gave it", () => {
    const { gate, route } = setup({ onUpgrade: (upgrade) => upgrade.reject(401, { error: 'login required' }) });
    const transport = new RecordingTransport(sameOrigin);
    admitAndAccept(open(gate, transport)!, route);
    const [written] = transport.written;
    expect(written?.kind === 'reject' && [written.rejection.status, written.rejection.code]).toEqual([401, 'REJECTED']);
  });

  it('a client that goes away during an async hook: nothing is written, the hook is aborted, no handler', async () => {
    let signal: AbortSignal | undefined;
    let release: (value: unknown) => void = () => {};
    const handled: unknown[] = [];
    const { gate, route, events } = setup(
      {
        onUpgrade: (upgrade) => {
          signal = upgrade.signal;
          return new Promise((resolve) => {
            release = resolve;
          });
        },
      },
      (socket) => handled.push(socket),
    );
    const transport = new RecordingTransport(sameOrigin);
    const done = admitAndAccept(open(gate, transport)!, route);
    await new Promise((resolve) => setImmediate(resolve)); // the handshake outlived its turn: it watches the client
    expect(transport.gone).toBeTypeOf('function');
    transport.gone?.();
    release({ user: 'late' });
    await done;
    expect(transport.written).toEqual([]);
    expect(signal?.aborted).toBe(true);
    expect(handled).toEqual([]);
    expect(gate.pending).toBe(0);
    expect(events.map((event) => [event.outcome, event.code])).toEqual([['abort', 'CLIENT_GONE']]);
  });

  it('a hook that throws is a 500 HOOK_FAILED, and the error goes to onError, never to the wire', () => {
    const errors: unknown[] = [];
    const gate = new GateState({
      hosts: ['localhost:3000'],
      logRejections: false,
      onError: (error) => errors.push(error),
    });
    const route = compileRoute(
      '/chat',
      gate.options,
      {
        onUpgrade: () => {
          throw new Error('secret detail');
        },
      },
      () => {},
    );
    const transport = new RecordingTransport(sameOrigin);
    admitAndAccept(open(gate, transport)!, route);
    const [written] = transport.written;
    expect(written?.kind === 'reject' && [written.rejection.status, written.rejection.code]).toEqual([
      500,
      'HOOK_FAILED',
    ]);
    expect(errors).toHaveLength(1);
  });
});
