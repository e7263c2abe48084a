// What a package README promises a newcomer, read the way the pack test needs it: the install line(s) and the
// main snippet, each marked in the Markdown with an HTML comment (invisible on a registry page):
//
//   <!-- pack-test: install -->          before the ```sh block of `npm install` lines
//   <!-- pack-test: app.mjs ... -->      before the ```js block to save as app.mjs and run as it is

import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';

export interface ReadmePromise {
  /** Packages the install lines name, dev (`-D`) ones included. */
  install: string[];
  snippet: { file: string; code: string };
}

/** The first fenced block after `marker`, or an error saying what is missing. */
function blockAfter(markdown: string, marker: RegExp, where: string): { info: string; code: string } {
  const start = markdown.search(marker);
  if (start < 0) throw new Error(`${where}: no ${marker.source} marker`);
  const block = /```(\w*)\n([\s\S]*?)```/.exec(markdown.slice(start));
  if (block === null) throw new Error(`${where}: no code block after ${marker.source}`);
  return { info: block[1] ?? '', code: block[2] ?? '' };
}

export function readPromise(readmePath: string): ReadmePromise {
  const markdown = readFileSync(readmePath, 'utf8');
  const install = blockAfter(markdown, /<!-- pack-test: install -->/, readmePath);
  const packages = install.code.split('\n').flatMap((line) => {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    if (words[0] !== 'npm' || (words[1] !== 'install' && words[1] !== 'i')) return [];
    return words.slice(2).filter((word) => !word.startsWith('-'));
  });
  const name = /<!-- pack-test: ([\w.-]+\.m?[jt]s)\b/.exec(markdown)?.[1];
  if (name === undefined) throw new Error(`${readmePath}: no <!-- pack-test: <file> --> marker`);
  const snippet = blockAfter(markdown, new RegExp(`<!-- pack-test: ${name.replace('.', '\\.')}`), readmePath);
  return { install: packages, snippet: { file: name, code: snippet.code } };
}

/** The packages a module imports (`@scope/name` or `name`, subpaths dropped), Node's built-ins left out. */
export function importedPackages(code: string): string[] {
  const specifiers = [...code.matchAll(/^\s*import\s[^'"]*?['"]([^'"]+)['"]/gm)].map((match) => match[1] ?? '');
  const packages = specifiers
    .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .filter((specifier) => !specifier.startsWith('.'))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
  return [...new Set(packages)].sort();
}
