// The ws internals wsgate relies on (engine/ws.ts). If an upgrade of ws changes them, this fails loudly
// before anything else does: pin ws to a range where it passes.
import { once } from 'node:events';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { negotiatePerMessageDeflate, startWebSocket } from '../../src/engine/ws.js';
import { parseExtensions } from '../../src/protocol/extensions.js';
import { adaptStreamForWebSocket } from '../../src/transport/h2-socket.js';

const ws = createRequire(import.meta.url)('ws');

describe('ws contract', () => {
  it('exposes the internals the engine uses', () => {
    expect(typeof ws.prototype.setSocket).toBe('function');
    expect(ws.PerMessageDeflate.extensionName).toBe('permessage-deflate');
    expect(typeof ws.PerMessageDeflate.prototype.accept).toBe('function');
    expect(typeof ws.extension.format).toBe('function');
    const server = new ws(null, undefined, {});
    expect(server._isServer).toBe(true);
    expect(server._extensions).toEqual({});
    expect(server.readyState).toBe(ws.CONNECTING);
  });

  it('PerMessageDeflate accepts our parsed offers and declines unacceptable ones', () => {
    const offers = parseExtensions(['permessage-deflate; client_max_window_bits']);
    if (!Array.isArray(offers)) throw new Error('parse failed');
    expect(negotiatePerMessageDeflate(offers, {}, 1024)?.header).toBe('permessage-deflate');
    const bad = parseExtensions(['permessage-deflate; server_max_window_bits=7']);
    if (!Array.isArray(bad)) throw new Error('parse failed');
    expect(negotiatePerMessageDeflate(bad, {}, 1024)).toBeUndefined();
  });

  it('setSocket makes a server-side socket that speaks frames, with protocol and head bytes', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    const raw = await accepted;
    // A masked "hi" frame given as head bytes, as if it arrived with the request.
    const frame = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
    const socket = startWebSocket(raw, frame, 'chat.v2', undefined, { maxPayload: 1024 });
    expect(socket.protocol).toBe('chat.v2');
    expect(socket.readyState).toBe(ws.OPEN);
    const message = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    expect(message).toBe('hi');
    const reply = new Promise<Buffer>((resolve) => client.once('data', resolve));
    socket.send('ok');
    expect([...(await reply)]).toEqual([0x81, 0x02, 0x6f, 0x6b]);
    client.destroy();
    socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('setSocket takes an HTTP/2 stream (RFC 8441 §5) as it is: frames both ways, and the stream ends with it', async () => {
    // h2c, so that the test is about the stream, not TLS.
    const server = http2.createServer({ settings: { enableConnectProtocol: true } });
    const taken = new Promise<http2.ServerHttp2Stream>((resolve) =>
      server.on('stream', (stream) => {
        stream.respond({ ':status': 200 });
        resolve(stream);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    await once(session, 'remoteSettings');
    const open = () => {
      const stream = session.request({
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':path': '/',
        ':scheme': 'http',
      });
      stream.on('error', () => {});
      return stream;
    };
    const client = open();
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    const nextChunk = async () => {
      while (received.length === 0) await new Promise((resolve) => setImmediate(resolve));
      return received.shift() as Buffer;
    };
    const stream = await taken;
    // What ws calls on its socket that a stream may lack (setNoDelay) it guards; the rest a stream has.
    expect(typeof stream.setTimeout).toBe('function');
    expect(typeof stream.cork).toBe('function');
    const socket = startWebSocket(stream, Buffer.alloc(0), undefined, undefined, { maxPayload: 1024 });
    expect(socket.readyState).toBe(ws.OPEN);
    const message = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    client.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69])); // a masked "hi"
    expect(await message).toBe('hi');
    socket.send('ok');
    expect([...(await nextChunk())]).toEqual([0x81, 0x02, 0x6f, 0x6b]);
    // ws's closing handshake ends the stream with END_STREAM; the client answers and ends its side.
    socket.close(1000);
    expect([...(await nextChunk())]).toEqual([0x88, 0x02, 0x03, 0xe8]);
    client.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
    if (!client.closed) await once(client, 'close');
    expect(client.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    if (socket.readyState !== ws.CLOSED) await once(socket, 'close');

    // ws aborts by destroying its socket; adapted, the stream is reset with CANCEL.
    const nextStream = new Promise<http2.ServerHttp2Stream>((resolve) =>
      server.once('stream', (s: http2.ServerHttp2Stream) => resolve(s)),
    );
    const aborted = open();
    const second = await nextStream;
    adaptStreamForWebSocket(second);
    startWebSocket(second, Buffer.alloc(0), undefined, undefined, { maxPayload: 1024 }).terminate();
    aborted.resume();
    await once(aborted, 'close');
    expect(aborted.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
});
