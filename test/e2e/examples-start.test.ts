// `pnpm start` of every example, as a user runs it: a process that listens on HOST and PORT (0 picks a free
// port), prints "listening on http://HOST:PORT" as its first line, serves, and exits 0 on SIGTERM. The
// examples' own tests reach their apps without a port (@wsgate/testing); this is the part that needs one.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openSession } from '../h2/client.js';
import { insecureAgent } from './clients.js';
import { type Example, example, examples, servesHttp2 } from './examples.js';

/** The start script as node arguments: `tsx src/server.ts` -> `--import tsx src/server.ts`; `node x` -> `x`. */
function nodeArguments(example: Example): string[] {
  const start: string = JSON.parse(readFileSync(join(example.cwd, 'package.json'), 'utf8')).scripts.start;
  const [runner, ...rest] = start.split(/\s+/);
  if (runner === 'tsx') return ['--import', 'tsx', ...rest];
  if (runner === 'node') return rest;
  throw new Error(`${example.name}: a start script this test does not know how to run: ${start}`);
}

/** Resolves with the first stdout line once it is complete. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end + 1));
    });
    child.once('exit', (code, signal) => reject(new Error(`exited (${signal ?? code}) before a line; stdout: ${out}`)));
  });
}

let child: ChildProcess | undefined;

afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
});

describe('pnpm start', () => {
  it.each(examples().filter((example) => example.skip === undefined))(
    '$name: prints "listening on http://HOST:PORT" with the real port for PORT=0, serves, and exits 0 on SIGTERM',
    async (example) => {
      child = spawn(process.execPath, nodeArguments(example), {
        cwd: example.cwd,
        env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await firstLine(child);
      const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(Number(match?.[1])).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${match?.[1]}/health`);
      expect(await health.text()).toBe('ok');
      // GET /metrics: the gate's OpenTelemetry metrics in Prometheus's format, a refused handshake counted.
      const refused = new WebSocket(`ws://127.0.0.1:${match?.[1]}/chat`, ['chat.v2']);
      refused.on('error', () => {});
      const [, response] = await once(refused, 'unexpected-response');
      expect(response.statusCode).toBe(401);
      const metrics = await fetch(`http://127.0.0.1:${match?.[1]}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await metrics.text()).toMatch(
        /^wsgate_handshake_duration_count\{[^}]*wsgate_outcome="reject"[^}]*wsgate_code="REJECTED"[^}]*\} 1$/m,
      );
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
    },
  );

  it.each([...examples(), example('node-echo')].filter((example) => example.skip === undefined))(
    '$name with TLS=1: prints "listening on https://HOST:PORT", serves /health over TLS, exits 0 on SIGTERM with an HTTP/2 connection open',
    async (example) => {
      child = spawn(process.execPath, nodeArguments(example), {
        cwd: example.cwd,
        env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TLS: '1' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const line = await firstLine(child);
      const match =
        /^listening on https:\/\/127\.0\.0\.1:(\d+)( \(HTTP\/1\.1 only: Express does not run on HTTP\/2\))?\n$/.exec(
          line,
        );
      expect(match, line).not.toBeNull();
      const origin = `https://127.0.0.1:${match?.[1]}`;
      const health = await undiciFetch(`${origin}/health`, { dispatcher: insecureAgent() });
      expect(await health.text()).toBe('ok');
      // An idle HTTP/2 connection (Node 20's server.close() alone would wait for it forever).
      const session = servesHttp2(example.name) ? await openSession(origin) : undefined;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect(await exited).toEqual([0, null]);
      session?.destroy();
    },
  );
});
