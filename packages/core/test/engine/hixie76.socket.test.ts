// Hixie76Socket over real TCP connections on 127.0.0.1: the server end wrapped, the client end raw.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hixie76Error, Hixie76Socket, type Hixie76SocketOptions } from '../../src/engine/hixie76.js';
import { CLOSE_FRAME, textFrame } from '../fixtures/hixie76-client.js';
import { eventually } from '../helpers.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

interface Pair {
  ws: Hixie76Socket;
  client: net.Socket;
  messages: string[];
  errors: Hixie76Error[];
  /** What the client has received so far. */
  received(): Buffer;
  /** Resolves with the 'close' event's code. */
  closed: Promise<number>;
  /** Resolves when the server ends or drops the connection, from the client's side. */
  clientEnded: Promise<void>;
}

async function pair(options: Partial<Hixie76SocketOptions> = {}, head = Buffer.alloc(0), listenErrors = true) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.setNoDelay(true);
  client.on('error', () => {});
  const [socket] = await accepted;
  cleanup.push(() => {
    client.destroy();
    socket.destroy();
    server.close();
  });
  const ws = new Hixie76Socket(socket, head, { maxPayload: 1024, ...options });
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  const result: Pair = {
    ws,
    client,
    messages: [],
    errors: [],
    received: () => Buffer.concat(chunks),
    closed: new Promise((resolve) => ws.on('close', (code) => resolve(code))),
    clientEnded: new Promise((resolve) => client.once('close', () => resolve())),
  };
  ws.on('message', (text) => result.messages.push(text));
  if (listenErrors) ws.on('error', (error) => result.errors.push(error));
  return result;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('reading text frames (§5.3)', () => {
  it('assembles a message sent a byte at a time, split inside UTF-8 sequences', async () => {
    const p = await pair();
    for (const byte of textFrame('héllo, wörld €😀')) {
      p.client.write(Buffer.of(byte));
      await tick();
    }
    await eventually(() => p.messages.length === 1);
    expect(p.messages).toEqual(['héllo, wörld €😀']);
  });

  it('reads several frames from one write, skipping a binary frame among them', async () => {
    const p = await pair();
    const binary = Buffer.of(0x80, 0x05, 0xff, 0x00, 0x00, 0xff, 0x61);
    p.client.write(Buffer.concat([textFrame('one'), binary, textFrame('two'), textFrame(''), textFrame('three')]));
    await eventually(() => p.messages.length === 4);
    expect(p.messages).toEqual(['one', 'two', '', 'three']);
    expect(p.ws.readyState).toBe(Hixie76Socket.OPEN);
  });

  it('reads the frames pipelined in `head` before later ones, even one cut in the middle', async () => {
    const head = Buffer.concat([textFrame('early'), Buffer.from([0x00, 0x61, 0x62])]);
    const p = await pair({}, head);
    p.client.write(Buffer.from([0x63, 0xff]));
    await eventually(() => p.messages.length === 2);
    expect(p.messages).toEqual(['early', 'abc']);
  });

  it('passes messages as strings with isBinary false, as ws passes its arguments', async () => {
    const p = await pair();
    const seen = new Promise<unknown[]>((resolve) => p.ws.once('message', (...args) => resolve(args)));
    p.client.write(textFrame('{"a":1}'));
    expect(await seen).toEqual(['{"a":1}', false]);
  });
});

describe("failing the connection on a client's bad bytes", () => {
  it.each([
    ['an oversize text frame', Buffer.concat([Buffer.of(0x00), Buffer.alloc(17, 0x61)]), 1009, 'MESSAGE_TOO_BIG'],
    ['an oversize binary frame, by its length alone', Buffer.of(0x80, 0x11), 1009, 'MESSAGE_TOO_BIG'],
    ['invalid UTF-8', Buffer.of(0x00, 0xc3, 0x28, 0xff), 1007, 'INVALID_UTF8'],
    ['an unknown frame type', Buffer.of(0x01, 0x61, 0xff), 1002, 'UNKNOWN_FRAME_TYPE'],
  ])(
    '%s: an error to listeners, the close code of ws, the connection dropped',
    async (_name, bytes, code, errorCode) => {
      const p = await pair({ maxPayload: 16 });
      p.client.write(Buffer.concat([textFrame('before'), bytes, textFrame('after')]));
      expect(await p.closed).toBe(code);
      await p.clientEnded;
      expect(p.messages).toEqual(['before']);
      expect(p.errors.map((error) => error.code)).toEqual([errorCode]);
      expect(p.ws.readyState).toBe(Hixie76Socket.CLOSED);
      expect(p.received()).toHaveLength(0); // no closing handshake: the connection is failed, not closed
    },
  );

  it('never throws without an error listener of its own', async () => {
    const p = await pair({}, Buffer.alloc(0), false);
    p.client.write(Buffer.of(0x00, 0xfe, 0xff));
    expect(await p.closed).toBe(1007);
  });

  it('stops a text frame that never ends at maxPayload, however much is sent', async () => {
    const p = await pair({ maxPayload: 1024 });
    p.client.write(Buffer.of(0x00));
    const block = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 64 && !p.client.destroyed; i++) p.client.write(block);
    expect(await p.closed).toBe(1009);
    await p.clientEnded;
  });
});

describe('closing (§1.4, §5.3)', () => {
  it("close() sends 0xFF 0x00, and the client's answer closes the connection cleanly", async () => {
    const p = await pair();
    p.ws.close(1000, 'ignored');
    expect(p.ws.readyState).toBe(Hixie76Socket.CLOSING);
    await eventually(() => p.received().length === 2);
    expect([...p.received()]).toEqual([0xff, 0x00]);
    p.client.write(CLOSE_FRAME);
    expect(await p.closed).toBe(1005);
    await p.clientEnded;
    expect([...p.received()]).toEqual([0xff, 0x00]); // sent once
  });

  it("answers the client's 0xFF 0x00 in kind, closes, and discards what follows", async () => {
    const p = await pair();
    p.client.write(Buffer.concat([textFrame('last'), CLOSE_FRAME, textFrame('discarded')]));
    expect(await p.closed).toBe(1005);
    await p.clientEnded;
    expect([...p.received()]).toEqual([0xff, 0x00]);
    expect(p.messages).toEqual(['last']);
  });

  it('after close() waits closeTimeout for an answer, then drops the connection', async () => {
    const p = await pair({ closeTimeout: 50 });
    p.ws.close();
    expect(await p.closed).toBe(1006);
    await p.clientEnded;
  });

  it('messages still arriving while the server waits for the answer are delivered, as ws does', async () => {
    const p = await pair();
    p.ws.close();
    p.client.write(Buffer.concat([textFrame('in flight'), CLOSE_FRAME]));
    expect(await p.closed).toBe(1005);
    expect(p.messages).toEqual(['in flight']);
  });

  it('a client vanishing mid-frame closes with 1006 and no message', async () => {
    const p = await pair();
    p.client.write(Buffer.of(0x00, 0x61, 0x62));
    await tick();
    p.client.destroy();
    expect(await p.closed).toBe(1006);
    expect(p.messages).toEqual([]);
    expect(p.errors).toEqual([]);
  });

  it('a client reset (RST) closes with 1006, the socket error swallowed', async () => {
    const p = await pair();
    p.client.write(Buffer.of(0x00, 0x61));
    await tick();
    p.client.resetAndDestroy();
    expect(await p.closed).toBe(1006);
  });

  it('terminate() drops at once; no message of the same chunk is delivered after it', async () => {
    const p = await pair();
    p.ws.on('message', () => p.ws.terminate());
    p.client.write(Buffer.concat([textFrame('first'), textFrame('second')]));
    expect(await p.closed).toBe(1006);
    expect(p.messages).toEqual(['first']);
    await p.clientEnded;
  });

  it('emits close once, whatever is called after', async () => {
    const p = await pair();
    let closes = 0;
    p.ws.on('close', () => closes++);
    p.ws.close();
    p.ws.close();
    p.ws.terminate();
    await p.closed;
    p.ws.close();
    p.ws.terminate();
    await tick();
    expect(closes).toBe(1);
  });
});

describe("ws's surface", () => {
  it('sends text frames', async () => {
    const p = await pair();
    const sent = new Promise<Error | null | undefined>((resolve) => p.ws.send('héllo', resolve));
    expect(await sent).toBeFalsy();
    p.ws.send('');
    await eventually(() => p.received().length === 10);
    expect(p.received()).toEqual(Buffer.concat([textFrame('héllo'), textFrame('')]));
  });

  it('send() when not open sends nothing and reports to the callback, without throwing', async () => {
    const p = await pair();
    p.ws.close();
    p.ws.send('dropped');
    const error = await new Promise<Error | null | undefined>((resolve) => p.ws.send('dropped', resolve));
    expect(error?.message).toBe('WebSocket is not open: readyState 2 (CLOSING)');
    await eventually(() => p.received().length === 2);
    expect([...p.received()]).toEqual([0xff, 0x00]);
  });

  it('refuses to send anything but a string', async () => {
    const p = await pair();
    expect(() => p.ws.send(Buffer.from('x') as unknown as string)).toThrow(TypeError);
  });

  it("takes ws's send(data, options, callback): a ws echo handler runs unchanged", async () => {
    const p = await pair();
    p.ws.on('message', (data, isBinary) => p.ws.send(data, { binary: isBinary }));
    p.client.write(textFrame('echo me'));
    const sent = new Promise<Error | null | undefined>((resolve) =>
      p.ws.send('b', { binary: false, compress: true, mask: true, fin: true }, resolve),
    );
    expect(await sent).toBeFalsy();
    await eventually(() => p.received().length === textFrame('b').length + textFrame('echo me').length);
    expect(p.received().toString('latin1')).toContain(textFrame('echo me').toString('latin1'));
  });

  it('refuses, with a TypeError, what draft-76 cannot carry: binary messages and fragments', async () => {
    const p = await pair();
    expect(() => p.ws.send('x', { binary: true })).toThrow(/no binary messages/);
    expect(() => p.ws.send('x', { fin: false })).toThrow(/no fragments/);
    await tick();
    expect(p.received()).toHaveLength(0);
  });

  it('has the readyState constants of ws, on the class and the instance, and the protocol', async () => {
    const p = await pair({ protocol: 'chat' });
    expect([Hixie76Socket.CONNECTING, Hixie76Socket.OPEN, Hixie76Socket.CLOSING, Hixie76Socket.CLOSED]).toEqual([
      0, 1, 2, 3,
    ]);
    expect([p.ws.CONNECTING, p.ws.OPEN, p.ws.CLOSING, p.ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(p.ws.readyState).toBe(p.ws.OPEN);
    expect(p.ws.protocol).toBe('chat');
    expect((await pair()).ws.protocol).toBe('');
    expect(p.ws.bufferedAmount).toBe(0);
  });

  it('names a bad option in a TypeError', async () => {
    const socket = new net.Socket();
    for (const maxPayload of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Hixie76Socket(socket, Buffer.alloc(0), { maxPayload })).toThrow(/maxPayload/);
    }
    expect(() => new Hixie76Socket(socket, Buffer.alloc(0), { maxPayload: 1, closeTimeout: 0 })).toThrow(
      /closeTimeout/,
    );
  });

  it('closes at once over a socket that is already destroyed', async () => {
    const socket = new net.Socket();
    socket.destroy();
    const ws = new Hixie76Socket(socket, Buffer.alloc(0), { maxPayload: 1 });
    const [code] = await once(ws, 'close');
    expect(code).toBe(1006);
    expect(ws.readyState).toBe(Hixie76Socket.CLOSED);
  });
});
