// The examples are copied into production, so their security must hold as they are: sessions signed with a
// secret nobody else knows, and the Host allowlist folding case as the library's policies do.
import net from 'node:net';
import { signCookie } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { login } from './clients.js';
import { examples } from './examples.js';
import { type RunningServer, startServer } from './launcher.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function start(name: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const spec = examples().find((example) => example.name === name)!;
  const server = await startServer(spec, { env: { SESSION_SECRET: '', ...env } });
  running.push(server);
  return server;
}

/** The status line of a raw WebSocket handshake to /chat. */
function handshakeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const match = data.match(/^HTTP\/1\.1 (\d{3})/);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    const lines = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Protocol': 'chat.v2',
      ...headers,
    };
    socket.write(
      `GET /chat HTTP/1.1\r\n${Object.entries(lines)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n`,
    );
  });
}

/** The fixed fallback the examples used to sign sessions with: public, so anyone could forge `sid=admin`. */
const FORMER_PUBLIC_SECRET = 'dev secret: set SESSION_SECRET';

describe.each(['node-chat', 'express-chat'])('%s sessions (finding 3)', (name) => {
  it('without SESSION_SECRET, a session forged with the former public secret is refused, and start-up says so', async () => {
    const server = await start(name);
    expect(server.log()).toMatch(/SESSION_SECRET is not set/);
    const forged = encodeURIComponent(signCookie('admin', FORMER_PUBLIC_SECRET));
    expect(await handshakeStatus(server.port, { Cookie: `sid=${forged}`, Origin: server.url })).toBe(401);
  });

  it('with SESSION_SECRET, a logged-in session opens the chat', async () => {
    const server = await start(name, { SESSION_SECRET: 'a secret of this deployment' });
    const cookie = await login(server.url, 'ada');
    expect(await handshakeStatus(server.port, { Cookie: cookie, Origin: server.url })).toBe(101);
  });
});

describe.each(['node-chat', 'express-chat', 'koa-chat', 'hono-chat', 'fastify-chat'])('%s in production', (name) => {
  it('refuses to start without SESSION_SECRET, naming it', async () => {
    const spec = examples().find((example) => example.name === name)!;
    const failed = await startServer(spec, {
      env: { SESSION_SECRET: '', NODE_ENV: 'production' },
      timeoutMs: 15_000,
    }).then(
      (server) => {
        running.push(server);
        return undefined;
      },
      (error: Error) => error,
    );
    expect(failed?.message).toMatch(/exited with 1/);
    expect(failed?.message).toMatch(/SESSION_SECRET/);
  });
});

describe.each(['node-chat', 'express-chat', 'koa-chat', 'hono-chat', 'fastify-chat'])(
  '%s Host allowlist (finding 11)',
  (name) => {
    it('folds case as the library does: LOCALHOST:PORT is the same name', async () => {
      const server = await start(name);
      // No session: past the Host check, the app's own auth answers 401 (a refused Host would be 403).
      expect(await handshakeStatus(server.port, { Host: `LOCALHOST:${server.port}` })).toBe(401);
      expect(await handshakeStatus(server.port, { Host: `evil.example:${server.port}` })).toBe(403);
    });
  },
);
