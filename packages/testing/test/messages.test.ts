// Messages in tests: nothing lost between awaits, JSON when it is JSON, and timeouts that say what was awaited.
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, collectMessages, connect, nextMessage, sendJson, whenClosed } from '../src/index.js';

function feedServer() {
  const gate = createGate();
  gate.route('/feed', {}, (socket) => {
    // All sent with the 101, before the test's `await connect(...)` has even resumed.
    socket.send('hello');
    socket.send(JSON.stringify({ type: 'a', n: 1 }));
    socket.send(Buffer.from([1, 2, 3]));
    socket.send('42');
    socket.on('message', (data) => {
      const text = String(data);
      if (text === 'close-me') socket.close(4000, 'bye');
      else socket.send(JSON.stringify({ type: 'echo', text }));
    });
  });
  const server = createServer();
  gate.attach(server);
  return { server, gate };
}

afterEach(closeAll);

describe('nextMessage', () => {
  it('takes every message in order, even those sent with the 101: JSON parsed, text as text, binary as a Buffer', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    await new Promise((resolve) => setTimeout(resolve, 10)); // messages arrive while nobody waits
    expect(await nextMessage(socket)).toBe('hello');
    expect(await nextMessage(socket)).toEqual({ type: 'a', n: 1 });
    expect(await nextMessage(socket)).toEqual(Buffer.from([1, 2, 3]));
    expect(await nextMessage(socket)).toBe(42);
  });

  it('with a predicate, skips (and drops) the messages before the one it accepts', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    expect(await nextMessage<number>(socket, (message) => typeof message === 'number')).toBe(42);
    await sendJson(socket, 'x');
    expect(await nextMessage(socket)).toEqual({ type: 'echo', text: '"x"' });
  });

  it('a predicate that throws on a message does not accept it', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    const message = await nextMessage<{ type: string }>(socket, (m) => m.type.startsWith('a'));
    expect(message).toEqual({ type: 'a', n: 1 });
  });

  it('times out with a WSGATE_TEST_TIMEOUT naming what was awaited and what was skipped', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    const error = await nextMessage<{ type: string }>(socket, (m) => m.type === 'never', { timeout: 50 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'WSGATE_TEST_TIMEOUT', name: 'WaitTimeoutError' });
    const { message } = error as Error;
    expect(message).toMatch(/no message matching \(m\) => m\.type === .never. on ws:\/\/localhost\/feed within 50 ms/);
    expect(message).toContain('skipped meanwhile: "hello", {"type":"a","n":1}, <3 bytes>, 42');
  });

  it('rejects at once when the socket closes first, with the close code and reason', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    await collectMessages(socket, 4);
    const waiting = nextMessage(socket, undefined, { timeout: 2_000 });
    socket.send('close-me');
    await expect(waiting).rejects.toThrow(
      'ws://localhost/feed closed (4000 bye) before a message; nothing else arrived',
    );
    await expect(nextMessage(socket)).rejects.toThrow('closed (4000 bye)');
  });
});

describe('collectMessages, sendJson, whenClosed', () => {
  it('collects a count of messages; reports how many came when it times out', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    expect(await collectMessages(socket, 2)).toEqual(['hello', { type: 'a', n: 1 }]);
    await expect(collectMessages(socket, 3, undefined, { timeout: 50 })).rejects.toThrow(
      /^collectMessages: got 2 of 3 \(<3 bytes>, 42\); nextMessage: no message/,
    );
  });

  it('whenClosed gives the code the server closed with (1001 when the gate shuts down)', async () => {
    const { server, gate } = feedServer();
    const socket = await connect(server, '/feed');
    const closed = whenClosed(socket);
    await gate.close();
    expect(await closed).toEqual({ code: 1001, reason: 'server shutting down', error: undefined });
    expect(await whenClosed(socket)).toMatchObject({ code: 1001 }); // already closed: at once
  });

  it('whenClosed times out on an open socket', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    await expect(whenClosed(socket, { timeout: 20 })).rejects.toThrow('ws://localhost/feed still open after 20 ms');
  });

  it('the timeout must be a positive number', async () => {
    const { server } = feedServer();
    const socket = await connect(server, '/feed');
    expect(() => nextMessage(socket, undefined, { timeout: 0 })).toThrow(TypeError);
  });
});
