// @opentelemetry/api is an optional peer: an application without it gets the same gate, and no error.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGate } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

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

describe('with @opentelemetry/api and no SDK registered (this file registers none)', () => {
  /** How many 'close' listeners the handler's socket has, on a gate made with `telemetry`. */
  async function closeListeners(telemetry: boolean): Promise<number> {
    let count = -1;
    const gate = createGate({ logRejections: false, telemetry });
    gate.route('/ws', {}, (socket) => {
      count = socket.listenerCount('close');
      socket.close();
    });
    const server = http.createServer();
    gate.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`);
    await once(client, 'close');
    await gate.close({ timeout: 100 });
    server.close();
    return count;
  }

  it('an accepted connection gets nothing more than with telemetry off: no close listener, nothing recorded', async () => {
    expect(await closeListeners(true)).toBe(await closeListeners(false));
  });
});
