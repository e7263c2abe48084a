// The servers under test: one entry per example chat. An example that is not
// there yet (no package.json with a `start` script) is skipped with the reason in the suite's name.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const exampleNames = ['node-chat', 'express-chat', 'koa-chat', 'hono-chat', 'fastify-chat'];

/** The examples whose sessions live on the server, so that logging out revokes the session's sockets. */
export const serverSideSessions = new Set(exampleNames);

export interface ServerSpec {
  /** Shown in the suite's name. */
  name: string;
  /** A shell command, run in `cwd` with the example's and the root's node_modules/.bin on PATH. */
  command: string;
  cwd: string;
}

export type Example = ServerSpec & { skip?: string };

export function example(name: string): Example {
  const cwd = join(repoRoot, 'examples', name);
  const manifest = join(cwd, 'package.json');
  if (!existsSync(manifest))
    return { name, cwd, command: '', skip: `examples/${name}/package.json does not exist yet` };
  const start = JSON.parse(readFileSync(manifest, 'utf8')).scripts?.start;
  if (typeof start !== 'string') return { name, cwd, command: '', skip: `examples/${name} has no start script yet` };
  return { name, cwd, command: start };
}

/**
 * The examples, or, with `E2E_SERVER="label=command"`, one ad-hoc server run from the repository root instead
 * (to reproduce a failure or to check that a broken policy makes the suite fail).
 */
export function examples(env = process.env): Example[] {
  const custom = env.E2E_SERVER?.match(/^([^=]+)=(.+)$/s);
  if (custom) return [{ name: custom[1]!, command: custom[2]!, cwd: repoRoot }];
  return exampleNames.map(example);
}

/** The examples that serve HTTP/2 with TLS=1 (Express cannot: HTTP/1.1 over TLS). */
export const servesHttp2 = (name: string) => name !== 'express-chat';
