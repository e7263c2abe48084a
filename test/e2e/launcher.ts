// Starts a server as its own process group on 127.0.0.1 with PORT=0, reads its URL from stdout, keeps its
// output for failure reports, and stops it: the whole group, then checks that the port is closed.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { delimiter, join } from 'node:path';
import { repoRoot, type ServerSpec } from './examples.js';

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  pid: number;
  /** Everything the server printed so far, each line prefixed with its stream. */
  log(): string;
  /** Resolves with the first line matching `pattern` printed after `since` (a `log().length`), or rejects. */
  waitForLine(pattern: RegExp, options?: { since?: number; timeoutMs?: number }): Promise<string>;
  /** Stops the process group (SIGTERM, then SIGKILL after `graceMs`); tells how it ended. */
  stop(graceMs?: number): Promise<{ graceful: boolean }>;
}

export async function startServer(
  spec: ServerSpec,
  { env = {}, timeoutMs = 20_000 }: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunningServer> {
  const path = [join(spec.cwd, 'node_modules/.bin'), join(repoRoot, 'node_modules/.bin'), process.env.PATH].join(
    delimiter,
  );
  const child = spawn(spec.command, {
    cwd: spec.cwd,
    shell: true,
    detached: true, // its own process group: stop() kills tsx's child node too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: path, HOST: '127.0.0.1', PORT: '0', NODE_ENV: 'test', ...env },
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (stream: 'out' | 'err') => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) output += `[${spec.name} ${stream}] ${line}\n`;
      for (const listener of listeners) listener();
    };
  };
  child.stdout!.on('data', collect('out'));
  child.stderr!.on('data', collect('err'));
  let exit: string | undefined;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      exit = `exited with ${signal ?? code}`;
      output += `[${spec.name}] ${exit}\n`;
      for (const listener of listeners) listener();
      done();
    }),
  );
  const log = () => output;
  const header = `$ (cd ${spec.cwd} && HOST=127.0.0.1 PORT=0 ${spec.command})  # pid ${child.pid}\n`;

  const waitForLine = (pattern: RegExp, { since = 0, timeoutMs: wait = 10_000 } = {}) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = output
          .slice(since)
          .split('\n')
          .find((l) => pattern.test(l));
        if (line !== undefined) return finish(() => resolve(line));
        if (exit)
          finish(() => reject(new Error(`${spec.name} ${exit} before printing ${pattern}\n${header}${output}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${spec.name} did not print ${pattern} within ${wait} ms\n${header}${output}`)),
          ),
        wait,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const stop = async (graceMs = 3000) => {
    if (exit) return { graceful: true };
    signalGroup(child, 'SIGTERM');
    const graceful = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    // The direct child may be gone while a grandchild (tsx's node) lives on: kill the group in any case.
    signalGroup(child, 'SIGKILL');
    if (!graceful) await exited;
    await waitUntil(() => !groupAlive(child), 5000, `${spec.name}: process group ${child.pid} still alive`);
    return { graceful };
  };

  let line: string;
  try {
    line = await waitForLine(/listening on https?:\/\/\S+/, { timeoutMs });
  } catch (error) {
    await stop(500);
    throw error;
  }
  const url = line.match(/listening on (https?:\/\/\S+)/)![1]!.replace(/\/$/, '');
  const { hostname: host, port } = new URL(url);
  return { url, host, port: Number(port), pid: child.pid!, log, waitForLine, stop };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {}
}

function groupAlive(child: ChildProcess) {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, message: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(25);
  }
}

/** True when nothing accepts TCP connections on host:port any more. */
export function portClosed(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
