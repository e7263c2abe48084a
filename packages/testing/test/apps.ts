// The same small app on every adapter, for the kit's own tests (wsgate-fixtures builds it on each):
//   /chat  the app's auth answers 401 {"error":"login required"} without a `sid` cookie (Express, Koa and Hono
//          middleware, a Fastify onRequest hook, the core's onUpgrade hook); subprotocols chat.v2 > chat.v1,
//          required; the handler sends {"type":"welcome",user,protocol} with the 101 and echoes what it gets.
//   /slow  a middleware (or hook) that waits until the test releases it, then the handler counts a call.
import type { Gate, GateEvent, HandshakeEvent } from '@wsgate/core';
// By path, not by name: a published package's manifest names no private one.
import { type Build, serverKinds } from '../../../test/fixtures/index.js';
import type { TestTarget } from '../src/index.js';

export interface Fixture {
  readonly name: 'express' | 'koa' | 'hono' | 'fastify' | 'core';
  readonly target: TestTarget;
  readonly gate: Gate;
  /** Every handshake outcome the gate reported. */
  readonly events: HandshakeEvent[];
  /** Text messages the /chat handler received, in order. */
  readonly received: string[];
  /** How many times the /slow handler ran. */
  handled: number;
  readonly slow: Slow;
  close(): Promise<void>;
}

/** A middleware that waits: `entered` resolves once a request is in it; `release()` lets it go on. */
export class Slow {
  #entered!: () => void;
  #release!: () => void;
  entered: Promise<void> = new Promise((resolve) => {
    this.#entered = resolve;
  });
  readonly #released: Promise<void> = new Promise((resolve) => {
    this.#release = resolve;
  });
  async wait(): Promise<void> {
    this.#entered();
    await this.#released;
  }
  release(): void {
    this.#release();
  }
}

const PROTOCOLS = ['chat.v2', 'chat.v1'];

async function create(name: Fixture['name'], build: Build): Promise<Fixture> {
  const events: HandshakeEvent[] = [];
  const received: string[] = [];
  const slow = new Slow();
  const app = await build({
    gate: { onEvent: (e: GateEvent) => void (e.outcome !== 'close' && events.push(e)) },
    routes: [
      {
        path: '/chat',
        // The hook's cookies are the framework's: the context is the user, for the core that has no framework.
        options: { subprotocols: PROTOCOLS, requireSubprotocol: true, onUpgrade: (up) => up.cookies.sid },
        middleware: [{ kind: 'requireLogin', from: 'cookie', name: 'sid' }],
        handler: (socket, connection, cookie) => {
          const user = cookie ? cookie('sid') : connection.context;
          socket.send(JSON.stringify({ type: 'welcome', user, protocol: socket.protocol }));
          socket.on('message', (data) => {
            received.push(String(data));
            socket.send(JSON.stringify({ type: 'echo', data: String(data) }));
          });
        },
      },
      {
        path: '/slow',
        middleware: [{ kind: 'wait', until: () => slow.wait() }],
        handler: () => {
          fixture.handled++;
        },
      },
    ],
  });
  const fixture: Fixture = {
    name,
    target: app.target as TestTarget,
    gate: app.gate,
    events,
    received,
    handled: 0,
    slow,
    close: () => app.close(),
  };
  return fixture;
}

function buildOf(kind: string): Build {
  const found = serverKinds.find((each) => each.kind === kind);
  if (found === undefined) throw new Error(`no server kind ${kind}`);
  return found.build;
}

/** Every adapter (its current major), built fresh for each test. */
export const fixtures: ReadonlyArray<{ name: Fixture['name']; create: () => Promise<Fixture> }> = (
  [
    ['express', 'express 5'],
    ['koa', 'koa 3'],
    ['hono', 'hono'],
    ['fastify', 'fastify 5'],
    ['core', 'core'],
  ] as const
).map(([name, kind]) => ({ name, create: () => create(name, buildOf(kind)) }));
