// The kit under node:test, outside Vitest: `node --import tsx --test` on the files in ./node-test, which use
// node:test and node:assert only. One must pass (and its process exit: nothing left open), one must fail.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

function nodeTest(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', `test/node-test/${file}`],
      {
        cwd: packageDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe.concurrent('node --test', () => {
  it('runs a test file of the kit with node:test alone, and its process ends', async () => {
    const { code, output } = await nodeTest('chat.node-test.ts');
    expect(output).toMatch(/^# pass 3$/m);
    expect(output).toMatch(/^# fail 0$/m);
    expect(code).toBe(0);
  });

  it('reports a failed expectation as a failed test, with the response', async () => {
    const { code, output } = await nodeTest('failing.node-test.ts');
    expect(code).toBe(1);
    expect(output).toMatch(/^# fail 1$/m);
    expect(output).toContain('expected a refusal 403, but the status is 401');
    expect(output).toContain('HTTP/1.1 401 Unauthorized');
  });
});
