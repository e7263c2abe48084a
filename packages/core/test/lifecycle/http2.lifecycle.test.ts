// WebSockets over HTTP/2 from start to end: what the server advertises (RFC 8441 §3), a client that resets
// its stream while the hook runs, how a WebSocket's stream ends (RFC 8441 §5), and shutdown.
import { once } from 'node:events';
import http2 from 'node:http2';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  closeSocket,
  connectH2,
  nextText,
  openSession,
  openWebSocketH2,
  requestH2,
} from '../../../../test/h2/client.js';
import type { HandshakeEvent } from '../../src/index.js';
import { closeH2Servers, startH2Server } from '../h2-server.js';
import { eventually } from '../helpers.js';

afterEach(closeH2Servers);

const echo = (socket: WebSocket) => socket.on('message', (data, binary) => socket.send(data, { binary }));

describe('SETTINGS_ENABLE_CONNECT_PROTOCOL: advertised only where the gate takes CONNECT streams', () => {
  it('sent in the first SETTINGS once attached; not by a server without the gate, nor with http2: false', async () => {
    const attached = await startH2Server((gate) => gate.route('/ws', {}, echo));
    expect((await attached.session()).remoteSettings.enableConnectProtocol).toBe(true);
    const bare = await startH2Server(() => {}, {}, { attached: false });
    expect((await bare.session()).remoteSettings.enableConnectProtocol).toBe(false);
    const off = await startH2Server((gate) => gate.route('/ws', {}, echo), {}, { attach: { http2: false } });
    const session = await off.session();
    expect(session.remoteSettings.enableConnectProtocol).toBe(false);
    await expect(connectH2(off.origin, '/ws', { session })).rejects.toThrow(/did not advertise/);
    // HTTP/1.1 upgrades are served all the same.
    const socket = new WebSocket(`wss://localhost:${off.port}/ws`, { rejectUnauthorized: false });
    await once(socket, 'open');
    socket.close();
    await once(socket, 'close');
  });

  it('attach checks its options', async () => {
    const s = await startH2Server(() => {});
    expect(() => s.gate.attach(s.server, { http2: 'yes' as never })).toThrow(/"http2" must be a boolean/);
  });
});

describe('a client that goes away', () => {
  it('a stream reset during the hook leaves nothing behind: pending 0, signal aborted, handler never called', async () => {
    let hookStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      hookStarted = resolve;
    });
    let signal: AbortSignal | undefined;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handlerCalls = 0;
    const events: HandshakeEvent[] = [];
    const s = await startH2Server(
      (gate) =>
        gate.route(
          '/ws',
          {
            onUpgrade: async (up) => {
              signal = up.signal;
              hookStarted();
              await released;
              return {};
            },
          },
          () => {
            handlerCalls++;
          },
        ),
      { onEvent: (event) => event.outcome !== 'close' && events.push(event) },
    );
    const session = await s.session();
    const { stream, response } = requestH2(session, '/ws');
    await started;
    expect(s.gate.pending).toBe(1);
    // As a browser does when its page goes away: RST_STREAM(CANCEL).
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await expect(response).rejects.toMatchObject({ rstCode: http2.constants.NGHTTP2_CANCEL });
    await eventually(() => events.length === 1);
    expect(events[0]).toMatchObject({ outcome: 'abort', code: 'CLIENT_GONE', route: '/ws', transport: 'h2' });
    expect(signal?.aborted).toBe(true);
    expect(s.gate.pending).toBe(0);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(handlerCalls).toBe(0);
    expect(s.gate.connections.size).toBe(0);
    // The connection itself is fine: the next WebSocket on it opens.
    const next = connectH2(s.origin, '/ws', { session });
    await expect(next).resolves.toMatchObject({ status: 200 });
  });
});

describe('the end of a WebSocket stream (RFC 8441 §5)', () => {
  it('a closing handshake ends both sides with END_STREAM, no reset; a terminate resets with CANCEL', async () => {
    const sockets: WebSocket[] = [];
    const s = await startH2Server((gate) => gate.route('/ws', {}, (socket) => sockets.push(socket)));
    const session = await s.session();
    const orderly = await openWebSocketH2(s.origin, '/ws', { session });
    await eventually(() => sockets.length === 1);
    await closeSocket(orderly.socket);
    if (!orderly.stream.closed) await once(orderly.stream, 'close');
    expect(orderly.stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);

    // Node half-closes a stream before it resets it (DATA END_STREAM, then RST_STREAM): a client that ends its
    // own side on that END_STREAM, as ws does, may close before the RST arrives. A raw stream sees the code.
    const aborted = await connectH2(s.origin, '/ws', { session });
    aborted.stream.resume();
    await eventually(() => sockets.length === 2);
    sockets[1]?.terminate();
    await once(aborted.stream, 'close');
    expect(aborted.stream.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it('a peer that never ends its side after the closing handshake: the server closes the stream for it', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, (socket) => socket.close(1000, 'bye')));
    const { stream } = await connectH2(s.origin, '/ws', { session: await s.session() });
    // A hand-written client: it answers the close frame (masked, RFC 6455 §5.3) and never sends END_STREAM.
    const [frame] = await once(stream, 'data');
    expect([...(frame as Buffer).subarray(0, 2)]).toEqual([0x88, 5]);
    stream.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
    await once(stream, 'close');
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
  });
});

describe('shutdown', () => {
  it('gate.close(): WebSockets get 1001, their sessions are closed, and server.close() completes', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo));
    const session = await openSession(s.origin);
    const { socket } = await openWebSocketH2(s.origin, '/ws', { session });
    socket.send('x');
    expect(await nextText(socket)).toBe('x');
    const closed = once(socket, 'close');
    const goaway = once(session, 'goaway');
    await s.gate.close({ timeout: 1_000 });
    expect((await closed)[0]).toBe(1001);
    expect((await goaway)[0]).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await new Promise((resolve) => s.server.close(resolve)); // would wait forever for a live session
    expect(s.server.listening).toBe(false);
  });

  it('an HTTP/1.1 CONNECT on the allowHTTP1 server is left as Node leaves it: the socket closed, nothing written', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', {}, echo));
    const socket = tls.connect({
      port: s.port,
      host: '127.0.0.1',
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    await once(socket, 'close');
    expect(received).toBe('');
  });
});
