// The consumer's TypeScript: fixtures/consumer.ts under each module resolution TypeScript 5 offers, and the
// READMEs' JavaScript snippets checked as JavaScript (`checkJs`), all with the workspace's own tsc.

import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const consumerSource = fileURLToPath(new URL('./fixtures/consumer.ts', import.meta.url));

const strict = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2023'], types: ['node'], skipLibCheck: true };

/** One tsconfig per resolution: what a TypeScript project of each kind sets. */
export const resolutions = {
  node10: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

export type Resolution = keyof typeof resolutions;

/** tsc's diagnostics (empty when the project checks), `--pretty false`. */
async function check(project: string): Promise<string> {
  return promisify(execFile)(process.execPath, [tsc, '-p', project, '--pretty', 'false'], {
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout }) => stdout.trim(),
    (error: { stdout?: string; message: string }) => (error.stdout ?? '').trim() || error.message,
  );
}

/** Type-checks fixtures/consumer.ts inside `consumer` (the installed project) with `resolution`. */
export async function checkConsumer(consumer: string, resolution: Resolution): Promise<string> {
  copyFileSync(consumerSource, join(consumer, 'consumer.ts'));
  const dir = join(consumer, `tsconfig-${resolution}`);
  mkdirSync(dir, { recursive: true });
  const config = { compilerOptions: { ...strict, ...resolutions[resolution] }, files: ['../consumer.ts'] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  return check(dir);
}

/** Type-checks JavaScript files of `consumer` as JavaScript (`checkJs`, not strict: a newcomer's file). */
export async function checkJavaScript(consumer: string, files: readonly string[]): Promise<string> {
  const dir = join(consumer, 'tsconfig-js');
  mkdirSync(dir, { recursive: true });
  const compilerOptions = { ...strict, ...resolutions.nodenext, strict: false, allowJs: true, checkJs: true };
  const config = { compilerOptions, files: files.map((file) => `../${file}`) };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  return check(dir);
}
