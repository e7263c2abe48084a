// The ws internals wsgate relies on (engine/ws.ts). If an upgrade of ws changes them, this fails loudly
// before anything else does: pin ws to a range where it passes.
import { createRequire } from 'node:module';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { negotiatePerMessageDeflate, startWebSocket } from '../src/engine/ws.js';
import { parseExtensions } from '../src/handshake/extensions.js';

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
});
