// A newcomer's project, outside the workspace: every package packed as it would be published (`pnpm pack`),
// installed with npm from the tarballs, the rest of what the READMEs name from the registry. npm runs with a
// cache of its own in the temporary directory, so nothing is read from or left in the machine's.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const root = fileURLToPath(new URL('../../', import.meta.url));
export const packageNames = ['core', 'express', 'koa', 'hono', 'fastify', 'redis', 'testing'] as const;
export type PackageName = (typeof packageNames)[number];

/** The environment a child process gets: pnpm's own `npm_*` variables (from `pnpm test`) left out. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, NODE_ENV: 'development', ...extra };
}

/** `pnpm pack` in every package: tarball paths by package directory name. */
export async function packAll(destination: string): Promise<Record<PackageName, string>> {
  mkdirSync(destination, { recursive: true });
  const tarballs = {} as Record<PackageName, string>;
  for (const name of packageNames) {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], {
      cwd: join(root, 'packages', name),
      env: cleanEnv(),
    });
    const tarball = stdout.trim().split('\n').at(-1) ?? '';
    if (!tarball.endsWith('.tgz')) throw new Error(`pnpm pack in packages/${name} said: ${stdout}`);
    tarballs[name] = tarball;
  }
  return tarballs;
}

/**
 * The version range the workspace itself uses for a registry package (a devDependency somewhere), so that the
 * consumer gets the same major versions the suite tests; `latest` for anything the workspace does not use.
 */
export function workspaceRange(name: string): string {
  for (const dir of [...packageNames.map((p) => `packages/${p}`), 'test', '.']) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const field of ['devDependencies', 'dependencies']) {
      const range = manifest[field]?.[name];
      if (range !== undefined && !range.startsWith('workspace:') && !range.startsWith('npm:')) return range;
    }
  }
  return 'latest';
}

/**
 * A project in `dir` depending on the tarballs and on `registryPackages`, installed with npm. `overrides` make
 * every @wsgate dependency between the packages the tarball too, never a registry version.
 */
export async function installConsumer(
  dir: string,
  tarballs: Record<PackageName, string>,
  registryPackages: readonly string[],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const local = Object.fromEntries(packageNames.map((name) => [`@wsgate/${name}`, `file:${tarballs[name]}`]));
  const registry = Object.fromEntries(
    registryPackages.filter((name) => !name.startsWith('@wsgate/')).map((name) => [name, workspaceRange(name)]),
  );
  const manifest = {
    name: 'wsgate-consumer',
    private: true,
    type: 'module',
    dependencies: { ...local, ...registry },
    overrides: Object.fromEntries(Object.keys(local).map((name) => [name, `$${name}`])),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--loglevel=error',
      '--cache',
      join(dir, '..', 'npm-cache'),
    ],
    { cwd: dir, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 },
  );
}
