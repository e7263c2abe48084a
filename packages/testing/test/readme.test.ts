// The READMEs' complete test files are the files in ./readme, which run in this suite: a README example that
// stops working fails here. Only the kit's import path differs ('@wsgate/testing' in the READMEs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

/** The ```ts blocks of a Markdown file. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

describe.each([
  { name: 'express', readmes: ['../README.md', '../../express/README.md'] },
  { name: 'koa', readmes: ['../README.md', '../../koa/README.md'] },
  { name: 'fastify', readmes: ['../README.md', '../../fastify/README.md'] },
  { name: 'core', readmes: ['../README.md', '../../core/README.md'] },
])('the $name example', ({ name, readmes }) => {
  const file = read(`./readme/${name}.test.ts`).replace("'../../src/index.js'", "'@wsgate/testing'");
  it.each(readmes)('is in %s, as it is in test/readme', (readme) => {
    expect(codeBlocks(read(readme))).toContain(file);
  });
});
