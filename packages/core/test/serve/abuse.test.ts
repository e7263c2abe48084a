// Hostile and broken clients over raw sockets: the gate answers with a clear HTTP status or closes,
// never crashes, hangs or leaks a socket.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createGate } from '../../src/index.js';
import { closeServers, eventually, handshakeRequest, rawExchange, startServer } from '../helpers.js';

afterEach(closeServers);

const echo = (socket: import('ws').WebSocket) => socket.on('message', (data) => socket.send(data));

describe('header abuse', () => {
  it('very large headers get Node’s 431 and the server goes on', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, echo));
    const response = await rawExchange(port, handshakeRequest(port, { 'X-Big': 'a'.repeat(20_000) }));
    expect(response.status).toBe(431);
    const ok = await rawExchange(port, handshakeRequest(port), 200);
    expect(ok.status).toBe(101);
  });

  it('very many headers get 431, or are handled; never a crash', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, echo));
    const many: Record<string, string> = {};
    for (let i = 0; i < 3_000; i++) many[`X-${i}`] = 'v';
    const response = await rawExchange(port, handshakeRequest(port, many));
    expect([101, 431]).toContain(response.status);
    expect((await rawExchange(port, handshakeRequest(port), 200)).status).toBe(101);
  });

  it('garbage after the headers of a refused request is drained and the socket closed', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, echo));
    const request = handshakeRequest(port, { 'Sec-WebSocket-Version': '12' }) + '\x00\xff garbage '.repeat(1000);
    const response = await rawExchange(port, request);
    expect(response.status).toBe(426);
    expect(response.closed).toBe(true);
  });

  it('garbage after the headers of an accepted request fails the WebSocket (RFC 6455 §5.1), not the process', async () => {
    let closeCode: number | undefined;
    const { port, gate } = await startServer((g) =>
      g.route('/ws', {}, (socket) => {
        // No 'error' listener of the application's own: a bad frame must still not crash the process.
        socket.on('close', (code) => {
          closeCode = code;
        });
      }),
    );
    const response = await rawExchange(port, `${handshakeRequest(port)}GET /second HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response.status).toBe(101);
    expect(response.closed).toBe(true);
    await eventually(() => closeCode !== undefined);
    // The pipelined request's bytes are read as a frame: unmasked, so ws fails the connection (RFC 6455 §5.1).
    expect(closeCode).toBe(1006);
    await eventually(() => gate.connections.size === 0);
  });

  it('a header value with CR/LF from the hook is refused as 500 HOOK_FAILED, never written', async () => {
    const { port } = await startServer(
      (gate) =>
        gate.route('/ws', { onUpgrade: (up) => up.reject(401, 'no', { 'X-Reason': 'a\nSet-Cookie: x=1' }) }, echo),
      { onError: () => {} },
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expect(response.status).toBe(500);
    expect(response.raw).not.toContain('Set-Cookie');
  });
});

describe('slow clients and Node’s timeouts', () => {
  it('slow headers are cut by headersTimeout, while upgraded sockets outlive requestTimeout', async () => {
    const server = http.createServer({ requestTimeout: 300, headersTimeout: 200, connectionsCheckingInterval: 50 });
    const gate = createGate().route('/ws', {}, echo).attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const upgraded = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await once(upgraded, 'open');
      const slow = net.connect(port, '127.0.0.1');
      slow.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and never the rest
      let slowResponse = '';
      slow.on('data', (chunk) => {
        slowResponse += chunk;
      });
      await once(slow, 'close');
      expect(slowResponse).toMatch(/^HTTP\/1\.1 408 /);
      await new Promise((resolve) => setTimeout(resolve, 600)); // two requestTimeouts
      const reply = once(upgraded, 'message');
      upgraded.send('still here');
      expect(String((await reply)[0])).toBe('still here');
      upgraded.close();
    } finally {
      await gate.close({ timeout: 200 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('10,000 concurrent pending handshakes', () => {
  it('are all held, then all answered, and nothing stays pending', async () => {
    // The server runs in a child process so that neither process needs 20,000 descriptors.
    const child = fork(fileURLToPath(new URL('../fixtures/pending-server.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      const count = 10_000;
      const sockets: net.Socket[] = [];
      const answered: Promise<string>[] = [];
      for (let i = 0; i < count; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.setNoDelay(true);
        sockets.push(socket);
        answered.push(
          new Promise((resolve) => {
            let text = '';
            socket.on('data', (chunk) => {
              text += chunk.toString('latin1');
              if (text.includes('\r\n\r\n')) resolve(text.slice(0, 12));
            });
            socket.on('error', () => resolve('error'));
            socket.on('close', () => resolve(text.slice(0, 12) || 'closed'));
          }),
        );
        socket.write(handshakeRequest(port));
        if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
      }
      const pending = async () => {
        child.send('pending');
        const [message] = (await once(child, 'message')) as [{ pending: number }];
        return message.pending;
      };
      const until = Date.now() + 30_000;
      while ((await pending()) < count && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await pending()).toBe(count);
      child.send('release');
      const statuses = await Promise.all(answered);
      expect(statuses.filter((s) => s === 'HTTP/1.1 101').length).toBe(count);
      for (const socket of sockets) socket.destroy();
      const settled = Date.now() + 10_000;
      while ((await pending()) !== 0 && Date.now() < settled) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await pending()).toBe(0);
    } finally {
      child.kill();
    }
  }, 90_000);
});
