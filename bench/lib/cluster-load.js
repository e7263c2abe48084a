// What bench/cluster.js drives its gate processes with: raw-socket handshakes to /chat?user=…, each closed as
// soon as its answer is read (or held open), and a throw-away redis-server on a free port without persistence,
// whose CPU time it (and bench/redis-store.js) reads.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';

const HOST = '127.0.0.1';
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** One handshake: resolves with the status (0 on a network error); the socket is destroyed unless `hold`. */
export function handshake(port, user, hold = false) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port, noDelay: true });
    let head = '';
    const done = (status) => {
      socket.removeAllListeners('data');
      if (!hold || status !== 101) socket.destroy();
      resolve({ status, socket: hold && status === 101 ? socket : undefined });
    };
    socket.once('connect', () =>
      socket.write(
        `GET /chat?user=${user} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) done(Number(head.slice(9, 12)));
    });
    socket.once('error', () => done(0));
    socket.once('close', () => done(0));
  });
}

/**
 * `count` handshakes, `concurrency` at a time, spread round-robin over `ports`, user i % users for the i-th:
 * a user comes back every `users` handshakes, so a quota of 2 per user is hit only when a close is slow.
 */
export async function load({ ports, count, concurrency, users, offset = 0 }) {
  const statuses = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const { status } = await handshake(ports[i % ports.length], `u${(offset + i) % users}`);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return { ms: performance.now() - started, statuses };
}

/** CPU time the redis-server of `client` has used, µs (INFO cpu: all its threads, user and system). */
export async function redisCpuUs(client) {
  const info = await client.info('cpu');
  const seconds = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** A redis-server on a free port, no persistence; `stop()` ends it. */
export async function startRedis() {
  const binary = [process.env.WSGATE_REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(
    (path) => path !== undefined && executable(path),
  );
  if (binary === undefined)
    throw new Error('redis-server not found: apt-get install redis-server, or give --redis-url');
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://${HOST}:${port}`;
  for (let i = 0; ; i++) {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    const up = await probe.connect().then(
      () => true,
      () => false,
    );
    probe.disconnect();
    if (up) break;
    if (i > 100) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

async function freePort() {
  const server = net.createServer().listen(0, HOST);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
