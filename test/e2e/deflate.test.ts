// permessage-deflate enabled on a route: negotiated with python-websockets, undici and ws, and a 64 KiB message
// round-trips (the examples keep compression off, the default, so this uses a small gate of its own).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate } from '@wsgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeUndici, closeWs, openUndici, openWs, runPython } from './clients.js';
import { portClosed } from './launcher.js';
import { pythonMissing } from './requirements.js';

const size = 64 * 1024;
const payload = Array.from({ length: size }, (_, i) => String.fromCharCode(0x41 + ((i * 7919) % 26))).join('');

describe('permessage-deflate on a route (@wsgate/core on node:http)', () => {
  let server: http.Server;
  let gate: Gate;
  let url: string;
  let port: number;
  const events: string[] = [];

  beforeAll(async () => {
    gate = createGate({
      onEvent: (event) =>
        event.outcome !== 'close' && events.push(`${event.outcome} ${event.code} ${event.status ?? '-'}`),
    });
    gate.route('/deflate', { perMessageDeflate: true, subprotocols: ['chat.v2'] }, (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    server = http.createServer((request, response) => {
      if (!gate.handleRequest(request, response)) response.writeHead(404).end();
    });
    gate.attach(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
    url = `ws://127.0.0.1:${port}/deflate`;
  });

  afterAll(async () => {
    await gate?.close();
    await new Promise<void>((done) => server?.close(() => done()));
    expect(await portClosed('127.0.0.1', port)).toBe(true);
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`--- handshake events ---\n${events.join('\n')}`));
  });

  it.skipIf(pythonMissing)('python-websockets: negotiated, and a 64 KiB message round-trips', async () => {
    const result = await runPython({ url, subprotocols: ['chat.v2'], mode: 'echo', size });
    expect(result).toMatchObject({
      ok: true,
      protocol: 'chat.v2',
      extensions: ['permessage-deflate'],
      acceptMatches: true,
      echoedLength: size,
      echoMatches: true,
      closeCode: 1000,
    });
    expect(result.extensionsHeader).toMatch(/^permessage-deflate\b/);
  });

  it.skipIf(pythonMissing)('python-websockets without an offer: no extension, still round-trips', async () => {
    const result = await runPython({ url, subprotocols: ['chat.v2'], mode: 'echo', size, compression: false });
    expect(result).toMatchObject({
      ok: true,
      protocol: 'chat.v2',
      extensions: [],
      extensionsHeader: null,
      echoMatches: true,
    });
  });

  it('ws: negotiated, and a 64 KiB message round-trips', async () => {
    const outcome = await openWs(url, ['chat.v2']);
    expect(outcome.open).toBe(true);
    if (!outcome.open) return;
    try {
      expect(outcome.socket.protocol).toBe('chat.v2');
      expect(outcome.socket.extensions).toMatch(/^permessage-deflate\b/);
      const echoed = new Promise<string>((resolve) => outcome.socket.once('message', (data) => resolve(String(data))));
      outcome.socket.send(payload);
      expect(await echoed).toBe(payload);
    } finally {
      await closeWs(outcome.socket);
    }
  });

  it("undici's WebSocket: negotiated, and a 64 KiB message round-trips", async () => {
    const outcome = await openUndici(url, ['chat.v2']);
    expect(outcome.open).toBe(true);
    if (!outcome.open) return;
    try {
      expect(outcome.socket.protocol).toBe('chat.v2');
      expect(outcome.socket.extensions).toMatch(/^permessage-deflate\b/);
      const echoed = new Promise<string>((resolve) => {
        outcome.socket.onmessage = (event) => resolve(String(event.data));
      });
      outcome.socket.send(payload);
      expect(await echoed).toBe(payload);
    } finally {
      await closeUndici(outcome.socket);
    }
  });
});
