/**
 * A real, throw-away redis-server for the tests: its own free port on 127.0.0.1, no persistence, stopped
 * at the end. `stop()` and `start()` take it down and bring it back on the same port (empty, and
 * without its script cache, as after a crash of a Redis without persistence).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';

/** The redis-server binary: WSGATE_REDIS_SERVER if set, else on PATH (Debian's is /usr/bin/redis-server). */
export const redisServerPath: string | undefined =
  process.env.WSGATE_REDIS_SERVER !== undefined
    ? executable(process.env.WSGATE_REDIS_SERVER)
    : findOnPath('redis-server');

/** When set, a missing redis-server fails the tests instead of skipping them (CI). */
export const redisRequired = process.env.WSGATE_REQUIRE_REDIS === '1';

/**
 * `describe` for suites that need redis-server: skipped with a note when it is missing, unless
 * WSGATE_REQUIRE_REDIS=1, where the suite runs and fails on starting the server.
 */
export const describeWithRedis: typeof describe =
  redisServerPath !== undefined || redisRequired ? describe : (describe.skip as typeof describe);

if (redisServerPath === undefined && !redisRequired)
  console.warn(
    'wsgate/redis tests: redis-server not found, skipping the tests against Redis (install redis-server, ' +
      'or set WSGATE_REQUIRE_REDIS=1 to make its absence fail)',
  );

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, waits for its exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits for PING. */
  start(): Promise<void>;
}

/**
 * A redis-server for the enclosing suite, started before its first test and stopped after its last, and a
 * client of its own that looks at the keys (`inspect`). Read both from inside tests and hooks.
 */
export function useRedisServer(): { readonly server: RedisServer; readonly inspect: Redis } {
  let server: RedisServer | undefined;
  let inspect: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    inspect = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    inspect?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useRedisServer: read before the suite started');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get inspect() {
      return started(inspect);
    },
  };
}

export async function startRedisServer(): Promise<RedisServer> {
  if (redisServerPath === undefined) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const binary = redisServerPath;
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child !== undefined) return;
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn(binary, [...args, '--loglevel', 'warning', '--dir', process.env.TMPDIR ?? '/tmp'], {
        stdio: 'ignore',
      });
      const exited = new Promise<never>((_, reject) =>
        child?.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before answering`))),
      );
      exited.catch(() => {});
      await Promise.race([waitForPing(port, 10_000), exited]);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
  await server.start();
  return server;
}

/** A port the kernel just handed out on 127.0.0.1 and that nothing listens on any more. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function waitForPing(port: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** PING over a raw socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Keeps Redis busy in a script for `ms`, through `client` (not the store's): every other command waits behind
 * it, as behind a Redis that is slow or far away. Resolves when the script ends.
 */
export function keepBusy(
  client: { eval(script: string, keys: number, ...args: string[]): Promise<unknown> },
  ms: number,
) {
  return client.eval(
    "local t = redis.call('TIME') local stop = t[1] * 1e6 + t[2] + ARGV[1] * 1000 " +
      "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] >= stop return 1",
    0,
    String(ms),
  );
}

function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const found = dir === '' ? undefined : executable(join(dir, name));
    if (found !== undefined) return found;
  }
  return undefined;
}

function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}
