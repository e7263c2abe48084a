// examples/node-cluster as a user runs it: `pnpm start` with REDIS_URL, 4 workers behind one port, a user's
// quota of 2 holding across them, and a graceful stop that leaves nothing in Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeAll, describeWithRedis, handshake, type RedisServer, startRedisServer, tally } from './support.js';

const cwd = fileURLToPath(new URL('../../examples/node-cluster/', import.meta.url));

describeWithRedis('examples/node-cluster', () => {
  let redis: RedisServer;
  let inspect: Redis;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    inspect = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  afterAll(async () => {
    await closeAll();
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    inspect?.disconnect();
    await redis?.stop();
  });

  it('holds a per-user quota across 4 workers and leaves nothing in Redis when stopped', async () => {
    child = spawn(process.execPath, ['src/server.js'], {
      cwd,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', WORKERS: '4', REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    while (!out.includes('\n')) await once(child.stdout as never, 'data');
    const port = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(out)?.[1];
    expect(port, out).toBeDefined();

    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => handshake(`ws://127.0.0.1:${port}/chat?user=ada`)),
    );
    expect(tally(outcomes)).toEqual({ 101: 2, 429: 6 });
    const greetings = await Promise.all(outcomes.filter((o) => o.socket).map((o) => o.greeting));
    for (const greeting of greetings) expect(greeting).toMatch(/^hello ada, this is worker [1-4] \(pid \d+\)$/);
    expect(await inspect.zcard('{wsgate}:lease:n.user:key:ada')).toBe(2);
    expect((await handshake(`ws://127.0.0.1:${port}/chat`)).status).toBe(401);

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(await inspect.keys('{wsgate}:lease:*')).toEqual([]);
  });
});
