// --publish: copy a run's chart to a committed path (bench/results/ is gitignored) and keep the root
// README's caption for it in step, so the picture and the words under it always describe the same run.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { caption } from './chart-data.js';
import { benchDir } from './servers.js';

const repoRoot = path.resolve(benchDir, '..');

/**
 * Copies `svgFile` to docs/<name>.svg and rewrites the README block between
 * `<!-- bench-chart:<name> -->` and `<!-- /bench-chart:<name> -->`. Returns what it did, one line each.
 */
export function publish(svgFile, name, out, alt) {
  const done = [];
  const target = path.join(repoRoot, 'docs', `${name}.svg`);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(svgFile, target);
  done.push(`copied the chart to ${path.relative(process.cwd(), target)}`);

  const readme = path.join(repoRoot, 'README.md');
  const open = `<!-- bench-chart:${name} -->`;
  const close = `<!-- /bench-chart:${name} -->`;
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a === -1 || b < a) {
    done.push(`README.md has no ${open} ... ${close} block: add one where the chart should show`);
    return done;
  }
  const block = `${open}\n![${alt}](docs/${name}.svg)\n\n*${caption(out)}.*\n${close}`;
  writeFileSync(readme, text.slice(0, a) + block + text.slice(b + close.length));
  done.push(`updated the caption in README.md (${open})`);
  return done;
}
