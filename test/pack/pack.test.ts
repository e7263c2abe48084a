// The packages as a newcomer gets them: packed as published, installed with npm into a fresh project outside
// the workspace, each README's install line and main snippet taken as they are and run against a real client,
// and a TypeScript consumer checked under every module resolution. About a minute, most of it npm and tsc.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, listening, start } from './processes.js';
import { installConsumer, type PackageName, packAll, packageNames, root } from './project.js';
import { importedPackages, type ReadmePromise, readPromise } from './readme.js';
import { scenarios } from './scenarios.js';
import { checkConsumer, type Resolution, resolutions } from './typecheck.js';

const run = promisify(execFile);
const promises = Object.fromEntries(
  packageNames.map((name) => [name, readPromise(join(root, 'packages', name, 'README.md'))]),
) as Record<PackageName, ReadmePromise>;
const servers = ['core', 'express', 'koa', 'hono', 'fastify'] as const;
const redisServer = '/usr/bin/redis-server';

let dir: string;
let consumer: string;
let tarballs: Record<PackageName, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsgate-pack-'));
  consumer = join(dir, 'consumer');
  tarballs = await packAll(join(dir, 'tarballs'));
  const named = Object.values(promises).flatMap((promise) => promise.install);
  await installConsumer(consumer, tarballs, [...new Set(named)]);
  for (const [name, { snippet }] of Object.entries(promises))
    writeFileSync(join(consumer, `${name}-${snippet.file}`), snippet.code);
}, 300_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const file = (name: PackageName) => `${name}-${promises[name].snippet.file}`;

describe.each(packageNames)('@wsgate/%s as published', (name) => {
  it('has its LICENSE, README, CHANGELOG and build, and no workspace range left', async () => {
    const { stdout } = await run('tar', ['-tzf', tarballs[name]]);
    const entries = stdout.split('\n').filter(Boolean);
    for (const entry of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) {
      expect(entries).toContain(`package/${entry}`);
    }
    expect(entries.filter((entry) => /\/(test|tsconfig)/.test(entry))).toEqual([]);
    const installed = join(consumer, 'node_modules', '@wsgate', name);
    // No @internal member in a published declaration (the core builds with stripInternal).
    const internal = entries.filter(
      (entry) =>
        entry.endsWith('.d.ts') &&
        readFileSync(join(installed, entry.slice('package/'.length)), 'utf8').includes('@internal'),
    );
    expect(internal).toEqual([]);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    const manifest = readFileSync(join(installed, 'package.json'), 'utf8');
    expect(manifest).not.toContain('workspace:');
    expect(JSON.parse(manifest)).toMatchObject({
      license: 'MIT',
      types: './dist/index.d.ts',
      repository: { url: 'git+https://github.com/wsgate/wsgate.git', directory: `packages/${name}` },
      exports: { '.': { types: './dist/index.d.ts' }, './package.json': './package.json' },
    });
  });

  it("its README's install line names every package its snippet imports", () => {
    const { install, snippet } = promises[name];
    expect(importedPackages(snippet.code).filter((imported) => !install.includes(imported))).toEqual([]);
  });
});

describe.each(servers)("the @wsgate/%s README's snippet, run as it is", (name) => {
  it('serves what the README says to a ws client, on PORT and 127.0.0.1', async () => {
    const port = await freePort();
    const server = start(consumer, [file(name)], { PORT: String(port) });
    try {
      await listening(server, port);
      await scenarios[name]?.(port);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('exits with the error when its port is taken, never saying it listens', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const port = (taken.address() as { port: number }).port;
    const server = start(consumer, [file(name)], { PORT: String(port) });
    try {
      expect(await server.exited).not.toBe(0);
      expect(server.output()).toContain('EADDRINUSE');
      expect(server.output()).not.toMatch(/listening (on|at)/i);
    } finally {
      taken.close();
      await server.stop();
    }
  }, 60_000);
});

describe('the other READMEs, run as they are', () => {
  it('@wsgate/testing: its test file passes under node --test, and its process ends', async () => {
    const test = start(consumer, ['--test', '--test-reporter=tap', file('testing')]);
    expect(await test.exited, test.output()).toBe(0);
    expect(test.output()).toMatch(/^# pass 2$/m);
  }, 60_000);

  it.skipIf(!existsSync(redisServer))(
    '@wsgate/redis: the store script against a real redis-server',
    async () => {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      const redis = start(dir, args, {}, redisServer);
      try {
        await listening(redis, port);
        const script = start(consumer, [file('redis')], { REDIS_URL: `redis://127.0.0.1:${port}` });
        expect(await script.exited, script.output()).toBe(0);
        expect(script.output()).toMatch(/^undefined$/m);
        expect(script.output()).toContain('allowed: true');
      } finally {
        await redis.stop();
      }
    },
    60_000,
  );
});

describe('a TypeScript consumer', () => {
  it.each(Object.keys(resolutions) as Resolution[])(
    'type-checks with moduleResolution %s',
    async (resolution) => {
      expect(await checkConsumer(consumer, resolution)).toBe('');
    },
    120_000,
  );

  it('a CommonJS require() and <package>/package.json resolve too', async () => {
    const names = packageNames.map((name) => `@wsgate/${name}`);
    const code = `for (const name of ${JSON.stringify(names)}) { require(name); require.resolve(name + '/package.json'); }`;
    const script = start(consumer, ['--no-warnings', '-e', code]);
    expect(await script.exited, script.output()).toBe(0);
  }, 60_000);
});
