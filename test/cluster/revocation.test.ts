// Revocation across 4 gate processes sharing one real redis-server (started here): revoking a session in
// one process closes that session's sockets in all four with 4001, and no other socket.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { describeWithRedis, type RedisServer, sleep, startRedisServer } from './support.js';

const workerPath = fileURLToPath(new URL('./fixtures/revocation-worker.ts', import.meta.url));

interface Worker {
  child: ChildProcess;
  port: number;
  errors: string[];
  revoke(key: string): Promise<number>;
}

async function startWorker(redisPort: number): Promise<Worker> {
  const child = fork(workerPath, [JSON.stringify({ redisPort })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const errors: string[] = [];
  const replies: Array<(closed: number) => void> = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`revocation worker exited with ${code}`)));
    child.on('message', (message: { port?: number; closed?: number; error?: string }) => {
      if (message.error !== undefined) errors.push(message.error);
      if (message.port !== undefined) resolve(message.port);
      if (message.closed !== undefined) replies.shift()?.(message.closed);
    });
  });
  return {
    child,
    port,
    errors,
    revoke: (key) =>
      new Promise((resolve) => {
        replies.push(resolve);
        child.send({ op: 'revoke', key });
      }),
  };
}

function open(port: number, user: string, session: string): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/chat?user=${user}&session=${session}`);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describeWithRedis('revocation across 4 processes', () => {
  let redis: RedisServer;
  let workers: Worker[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    workers = await Promise.all([0, 1, 2, 3].map(() => startWorker(redis.port)));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(
      workers.map(async ({ child }) => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.send({ op: 'exit' });
        await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
      }),
    );
    await redis?.stop();
  });

  it("closes the session's sockets in every process with 4001, and only those", async () => {
    const revoked = await Promise.all(workers.flatMap((w) => [open(w.port, 'ada', 's1'), open(w.port, 'ada', 's1')]));
    const kept = await Promise.all(workers.flatMap((w) => [open(w.port, 'ada', 's2'), open(w.port, 'bob', 's3')]));
    const closes = revoked.map((socket) => once(socket, 'close').then(([code, reason]) => [code, String(reason)]));
    // Asked in process 0: it closes its own two and says so; the channel carries it to the other three.
    expect(await workers[0]?.revoke('session:s1')).toBe(2);
    expect(new Set((await Promise.all(closes)).map((pair) => JSON.stringify(pair)))).toEqual(
      new Set([JSON.stringify([4001, 'logged out'])]),
    );
    await sleep(100);
    for (const socket of kept) expect(socket.readyState).toBe(WebSocket.OPEN);
    // A key nobody carries closes nothing, anywhere.
    expect(await workers[2]?.revoke('session:none')).toBe(0);
    for (const socket of kept) socket.close();
    for (const worker of workers) expect(worker.errors).toEqual([]);
  }, 30_000);
});
