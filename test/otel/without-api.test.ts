// @opentelemetry/api is an optional peer: an application without it gets the same gate, and no error.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGate } from '@wsgate/core';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('without @opentelemetry/api', () => {
  it('a gate accepts and refuses as ever when the package cannot be resolved', async () => {
    const { stdout, stderr } = await run(process.execPath, [
      '--require',
      fixture('no-otel-api.cjs'),
      fixture('gate-app.mjs'),
    ]);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ otel: 'absent', message: 'hello', refused: 403 });
  });

  it('and with it, the same app (the preload is what takes it away)', async () => {
    const { stdout } = await run(process.execPath, [fixture('gate-app.mjs')]);
    expect(JSON.parse(stdout)).toEqual({ otel: 'present', message: 'hello', refused: 403 });
  });

  it('`telemetry` must be a boolean: a TypeError that names it', () => {
    expect(() => createGate({ telemetry: 'yes' as never })).toThrow(/telemetry/);
    expect(() => createGate({ telemetry: false })).not.toThrow();
  });
});
