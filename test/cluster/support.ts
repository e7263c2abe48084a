// What the cluster tests share: a real redis-server per file (the one @wsgate/redis's tests use: its own free
// port, no persistence, skipped with a note where redis-server is missing unless WSGATE_REQUIRE_REDIS=1), gate
// processes driven over IPC, and handshakes by a real ws client with their outcome as a value.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { WorkerConfig, WorkerReport } from './fixtures/gate-worker.js';

export { describeWithRedis, type RedisServer, startRedisServer } from '../../packages/redis/test/redis-server.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handshake's outcome: the open socket on 101, else the refusal as the client saw it. */
export interface Outcome {
  readonly status: number;
  /** The Wsgate-Code header of a refusal. */
  readonly code: string | undefined;
  readonly retryAfter: string | undefined;
  readonly body: string;
  readonly socket: WebSocket | undefined;
  /** The first message the server sent on an accepted connection. */
  readonly greeting: Promise<string>;
}

const open = new Set<WebSocket>();

/** Opens a WebSocket to `url` and resolves with how the handshake ended. */
export function handshake(url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const greeting = new Promise<string>((got) => socket.once('message', (data) => got(String(data))));
    socket.once('open', () => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      resolve({ status: 101, code: undefined, retryAfter: undefined, body: '', socket, greeting });
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.once('end', () => {
        const header = (name: string) => response.headers[name] as string | undefined;
        const status = response.statusCode ?? 0;
        resolve({
          status,
          code: header('wsgate-code'),
          retryAfter: header('retry-after'),
          body,
          socket: undefined,
          greeting,
        });
        socket.terminate();
      });
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
      reject(error);
    });
  });
}

/** Closes every socket `handshake` opened and waits until the servers saw them go. */
export async function closeAll(): Promise<void> {
  await Promise.all(
    [...open].map((socket) => {
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.terminate();
      return closed;
    }),
  );
}

/** Statuses of outcomes, counted: `{ 101: 3, 429: 9 }`. */
export function tally(outcomes: readonly Outcome[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** Redis's own clock in ms: the clock leases expire by. */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const workerPath = fileURLToPath(new URL('./fixtures/gate-worker.ts', import.meta.url));

/** A gate in its own process (fixtures/gate-worker.ts), on its own port, sharing Redis with the others. */
export interface GateProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: (path: string) => string;
  /** Reports from the worker's store and gate (`onError`): none is expected in a healthy run. */
  readonly errors: string[];
  /** Asks the worker for a report with `field`. */
  ask<F extends string>(op: 'stats', field: F): Promise<Extract<WorkerReport, Record<F, unknown>>>;
  /** A graceful stop: the gate closes, the store gives back what it holds. */
  stop(): Promise<void>;
}

export async function startGateProcess(config: WorkerConfig): Promise<GateProcess> {
  const child = fork(workerPath, [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const errors: string[] = [];
  const waiting: Array<{ field: string; resolve: (report: WorkerReport) => void; reject: (e: Error) => void }> = [];
  child.on('message', (report: WorkerReport) => {
    if ('error' in report) errors.push(report.error);
    const i = waiting.findIndex(({ field }) => field in report);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(report);
  });
  child.once('exit', (code, signal) => {
    for (const { reject } of waiting.splice(0)) reject(new Error(`gate worker exited (${signal ?? code})`));
  });
  const next = (field: string) =>
    new Promise<WorkerReport>((resolve, reject) => waiting.push({ field, resolve, reject }));
  const { port } = (await next('port')) as { port: number };
  return {
    child,
    port,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    errors,
    ask: (op, field) => {
      const answer = next(field);
      child.send({ op });
      return answer as never;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ op: 'exit' });
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
