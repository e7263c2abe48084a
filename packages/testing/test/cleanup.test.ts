// Clean-up without test-runner globals: closeAll(), a test client's close(), `await using`. Proof of no
// leaked handles: the process's active resources after closeAll() are those before the test's work.
import { afterEach, describe, expect, it } from 'vitest';
import { openCount } from '../src/cleanup.js';
import {
  closeAll,
  connect,
  createTestClient,
  handshake,
  httpRequest,
  nextMessage,
  openConnection,
} from '../src/index.js';
import type { Transport } from '../src/transport.js';
import { type Fixture, fixtures } from './apps.js';
import { handshakeRequest, until } from './raw.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await closeAll();
  await fixture?.close();
});

/** Active resources by kind (TCPSocketWrap, TCPServerWrap, Timeout…). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Kinds of which more are active now than in `before`. The runner's own timers may come and go. */
function grown(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after]
    .filter(([kind, count]) => count > (before.get(kind) ?? 0))
    .map(([kind, count]) => `${kind} ×${count}`);
}

describe.each(fixtures)('$name', ({ create }) => {
  it.each(['memory', 'tcp'] as Transport[])(
    'closeAll() over %s leaves no socket, timer or listener behind',
    async (transport) => {
      const app = await create();
      fixture = app;
      await closeAll();
      const before = resources();

      const open = await connect(app.target, '/chat', { cookies: { sid: 'ada' }, protocols: 'chat.v2', transport });
      await nextMessage(open); // the welcome
      await handshake(app.target, '/chat', { protocols: 'chat.v2', transport }); // refused
      await httpRequest(app.target, 'GET', '/health', { transport });
      const raw = await openConnection(app.target, { transport });
      raw.write(handshakeRequest('/nowhere').slice(0, 10)); // half a request, left hanging
      const stuck = connect(app.target, '/slow', { transport }).catch((error: Error) => error);
      await app.slow.entered;
      const during = resources();
      expect(openCount()).toBe(3); // the open socket, the raw connection and the handshake in the slow middleware

      await closeAll();
      expect(await stuck).toBeInstanceOf(Error); // aborted while connecting
      await until(() => app.gate.pending === 0, 'the gate to notice the abort');
      app.slow.release();
      expect(openCount()).toBe(0);
      expect(app.gate.connections.size).toBe(0);
      expect(grown(before, resources())).toEqual([]);
      if (transport === 'tcp') expect(grown(before, during)).toContain('TCPServerWrap ×1'); // the check can fail
      expect(app.handled).toBe(0);
    },
  );
});

describe('a test client', () => {
  it('close() closes its own sockets only; its cookie jar sends what a response set', async () => {
    fixture = await fixtures[3]!.create();
    const other = await connect(fixture.target, '/chat', { cookies: { sid: 'bob' }, protocols: 'chat.v2' });
    const ada = createTestClient(fixture.target, { protocols: ['chat.v2'], cookies: { sid: 'ada' } });
    const mine = await ada.connect('/chat');
    expect(await nextMessage(mine)).toMatchObject({ user: 'ada' });
    await ada.close();
    expect([mine.readyState, other.readyState]).toEqual([mine.CLOSED, other.OPEN]);
  });

  it('`await using` closes a client, or a socket, at the end of its block', async () => {
    fixture = await fixtures[3]!.create();
    let kept: WebSocket | undefined;
    let single: WebSocket | undefined;
    {
      await using ada = createTestClient(fixture.target, { cookies: { sid: 'ada' }, protocols: 'chat.v2' });
      kept = (await ada.connect('/chat')) as unknown as WebSocket;
      await using socket = await connect(fixture.target, '/chat', { cookies: { sid: 'bob' }, protocols: 'chat.v1' });
      single = socket as unknown as WebSocket;
      expect(openCount()).toBe(2);
    }
    expect([kept?.readyState, single?.readyState]).toEqual([3, 3]);
    expect(openCount()).toBe(0);
  });
});
