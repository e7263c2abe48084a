// What TypeScript tells a newcomer about a bad option: tsc, run as a user runs it, on a fixture of misspelled
// and mistyped options for every package. Each error must sit on the option (an editor underlines it, tsc
// prints its line and column), a misspelled name must be named in the message, and nothing else may be
// reported — no "No overload matches this call" hiding the option, no untyped parameters after it.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/options/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

interface Diagnostic {
  line: number;
  column: number;
  code: string;
  message: string;
}

/** `file(line,col): error TSnnnn: message` and its indented continuation lines (`--pretty false`). */
function parse(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const text of output.split('\n')) {
    const head = /^options\.ts\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(text);
    if (head !== null) {
      const [, line, column, code, message] = head as unknown as [string, string, string, string, string];
      diagnostics.push({ line: Number(line), column: Number(column), code, message });
    } else if (text.startsWith(' ') && diagnostics.length > 0) {
      (diagnostics.at(-1) as Diagnostic).message += `\n${text}`;
    } else if (text.trim() !== '') {
      throw new Error(`unexpected tsc output: ${text}`);
    }
  }
  return diagnostics;
}

interface Expectation {
  line: number;
  kind: 'misspelled' | 'wrong kind';
  option: string;
  /** 1-based column of the option's name in the object literal, or of the call where marked so. */
  column: number;
  source: string;
}

function expectations(source: string): Expectation[] {
  return source.split('\n').flatMap((text, index) => {
    const marker = /\/\/ (misspelled|wrong kind)( at the call)?: (\w+)$/.exec(text);
    if (marker === null) return [];
    const [, kind, atCall, option] = marker as unknown as [string, Expectation['kind'], string, string];
    const column = atCall ? text.search(/\.\w+\(/) + 2 : text.search(new RegExp(`[{,] ${option}: `)) + 3;
    return [{ line: index + 1, kind, option, column, source: text.trim() }];
  });
}

describe('TypeScript errors for a bad option', async () => {
  const source = readFileSync(`${fixture}options.ts`, 'utf8');
  const expected = expectations(source);
  const output = await promisify(execFile)(process.execPath, [tsc, '-p', fixture, '--pretty', 'false'], {
    cwd: fixture,
  }).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
  const diagnostics = parse(output);

  it('the fixture has the cases it is meant to have', () => {
    expect(expected.filter((e) => e.kind === 'misspelled').length).toBeGreaterThanOrEqual(10);
    expect(expected.filter((e) => e.kind === 'wrong kind').length).toBeGreaterThanOrEqual(6);
    expect(expected.every((e) => e.column > 2)).toBe(true);
  });

  it('reports nothing but the marked lines, once each', () => {
    const lines = diagnostics.map((d) => d.line);
    expect(lines).toEqual(expected.map((e) => e.line));
    expect(diagnostics.map((d) => d.code)).not.toContain('TS7006'); // no untyped parameter after a bad option
  });

  it.each(expected)('line $line, $kind $option: on the option, and named when misspelled', (expectation) => {
    const diagnostic = diagnostics.find((d) => d.line === expectation.line);
    expect(diagnostic, expectation.source).toBeDefined();
    expect({ column: diagnostic?.column }, `${expectation.source}\n${diagnostic?.message}`).toEqual({
      column: expectation.column,
    });
    if (expectation.kind === 'misspelled') {
      expect(diagnostic?.message).toContain(`'${expectation.option}' does not exist in type`);
    }
  });

  // Where the argument's type is one object type, TypeScript also suggests the name (the options of a route
  // that takes middleware in the same place are a union with the middleware type: the name is still given).
  it('suggests the right name where the options are one object type', () => {
    const single = expected.filter(
      (e) =>
        e.kind === 'misspelled' &&
        /createGate\(|gate\.route|wsgate\(express|koaGate\(|fastify\.(get|route)/.test(e.source),
    );
    expect(single.length).toBeGreaterThanOrEqual(6);
    for (const expectation of single) {
      const diagnostic = diagnostics.find((d) => d.line === expectation.line);
      expect(diagnostic?.message, expectation.source).toMatch(/Did you mean to write '\w+'\?/);
    }
  });
});
