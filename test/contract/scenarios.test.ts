// The contract's cases that need state or time, on every server kind: the rows of the table that only a full
// quota, a spent rate limit, the cap on pending handshakes, shutdown or the deadline reach; a client that leaves
// during the middleware; bytes that come with the request; pipelined requests. Each test has its own server.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import { createGate, reject } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from 'wsgate-fixtures';
import { destroyClients, eventually, RawClient, serverPayloads, textFrame } from '../abuse/raw.js';
import { HANG_DEADLINE_MS } from './app.js';
import { checkResponse, opened, refusedWith, rowBody } from './case.js';
import { exchange, exchangeOf, requestBytes, send } from './http.js';
import { type ContractServer, type ServerOptions, serverKinds } from './servers.js';

const CURL = '/usr/bin/curl';
const execFileAsync = promisify(execFile);

const running: ContractServer[] = [];

afterEach(async () => {
  await destroyClients();
  const servers = running.splice(0);
  for (const server of servers) server.app.latches.middleware.release();
  await Promise.all(servers.map((server) => server.close()));
});

/** A client that stays connected after its 101. */
async function openOn(server: ContractServer, path: string, headers: Record<string, string> = {}): Promise<RawClient> {
  const client = await RawClient.open(server.port);
  client.write(requestBytes(server.port, { path, headers }));
  expect(await client.response()).toBe(101);
  return client;
}

describe.each(serverKinds)('%s', (_kind, factory) => {
  async function start(options: Partial<ServerOptions> = {}): Promise<ContractServer> {
    const server = await factory({ trustProxy: false, ...options });
    running.push(server);
    return server;
  }

  it('a masked frame in the same write as the request reaches the handler', async () => {
    const server = await start();
    const result = await exchange(server.port, requestBytes(server.port, { path: '/ws', after: textFrame('early') }), {
      done: (ex) => serverPayloads(ex.frames).length > 0,
    });
    checkResponse(result, result.responses[0], opened('/ws'));
    expect(serverPayloads(result.frames)).toEqual(['early']);
  });

  it('a plain request and an upgrade in one write: 200, then 101, in order', async () => {
    const server = await start();
    const bytes = Buffer.concat([
      requestBytes(server.port, { path: '/health', plain: true }),
      requestBytes(server.port, { path: '/ws', after: textFrame('after both') }),
    ]);
    const result = await exchange(server.port, bytes, {
      methods: ['GET', 'GET'],
      done: (ex) => serverPayloads(ex.frames).length > 0,
    });
    expect(result.responses.map((response) => response.status)).toEqual([200, 101]);
    expect(result.responses[0]?.body.toString()).toBe('ok');
    expect(serverPayloads(result.frames)).toEqual(['after both']);
    expect(server.app.probe.handled.map((handled) => handled.route)).toEqual(['/ws']);
  });

  it('a plain request and an upgrade the app refuses, in one write: 200, then its 401 and the close', async () => {
    const server = await start();
    const bytes = Buffer.concat([
      requestBytes(server.port, { path: '/health', plain: true }),
      requestBytes(server.port, { path: '/auth' }),
    ]);
    const result = await exchange(server.port, bytes, { methods: ['GET', 'GET'], done: (ex) => ex.closed });
    expect(result.responses.map((response) => response.status)).toEqual([200, 401]);
    expect(result.closed).toBe(true);
    expect(result.trailing.length).toBe(0);
  });

  it('a client that leaves during the middleware: nothing pending, an abort, the handler never called', async () => {
    const server = await start();
    const { probe, latches } = server.app;
    latches.middleware.hold();
    const client = await RawClient.open(server.port);
    client.write(requestBytes(server.port, { path: '/slow' }));
    await eventually(() => probe.slowStarted === 1 && server.gate.pending === 1, 5_000, 'held in the middleware');
    client.destroy();
    await eventually(() => server.gate.pending === 0, 5_000, 'nothing pending');
    expect(probe.events).toMatchObject([{ outcome: 'abort', code: 'CLIENT_GONE', status: undefined, route: '/slow' }]);
    latches.middleware.release();
    await eventually(() => probe.slowDone === 1, 5_000, 'the middleware done');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(probe.handled).toEqual([]);
    expect(probe.events).toHaveLength(1);
    expect(probe.errors).toEqual([]);
  });

  it('a hook that never settles: 503 HANDSHAKE_TIMEOUT with Retry-After at the deadline, its signal aborted', async () => {
    const server = await start();
    const { probe } = server.app;
    const result = await send(server.port, { path: '/hang' });
    checkResponse(result, result.responses[0], refusedWith('HANDSHAKE_TIMEOUT', '/hang'));
    expect(probe.events).toMatchObject([{ outcome: 'reject', code: 'HANDSHAKE_TIMEOUT', status: 503, route: '/hang' }]);
    // Not before the deadline (timers may round down by a millisecond).
    expect(probe.events[0]?.durationMs).toBeGreaterThanOrEqual(HANG_DEADLINE_MS - 2);
    expect(probe.signals.map((signal) => signal.aborted)).toEqual([true]);
    expect(server.gate.pending).toBe(0);
  });

  it('past maxPending: 503 OVERLOADED; the held handshake still opens', async () => {
    const server = await start({ gate: { maxPending: 1 } });
    server.app.latches.middleware.hold();
    const held = await RawClient.open(server.port);
    held.write(requestBytes(server.port, { path: '/slow' }));
    await eventually(() => server.gate.pending === 1, 5_000, 'one pending');
    const result = await send(server.port, { path: '/ws' });
    checkResponse(result, result.responses[0], refusedWith('OVERLOADED', undefined));
    server.app.latches.middleware.release();
    expect(await held.response()).toBe(101);
  });

  it('once the gate closes: 503 SHUTTING_DOWN before routing', async () => {
    const server = await start();
    await server.gate.close({ timeout: 100 });
    const result = await send(server.port, { path: '/ws' });
    checkResponse(result, result.responses[0], refusedWith('SHUTTING_DOWN', undefined));
  });

  it('the gate closes while the middleware runs: 503 SHUTTING_DOWN, the handler never called', async () => {
    const server = await start();
    const { probe, latches } = server.app;
    latches.middleware.hold();
    const client = await RawClient.open(server.port);
    client.write(requestBytes(server.port, { path: '/slow' }));
    await eventually(() => probe.slowStarted === 1, 5_000, 'held in the middleware');
    const closed = server.gate.close({ timeout: 100 });
    latches.middleware.release();
    await client.serverClosed();
    await closed;
    const result = exchangeOf(client);
    checkResponse(result, result.responses[0], refusedWith('SHUTTING_DOWN', '/slow'));
    expect(probe.handled).toEqual([]);
  });

  it('a full quota: 429 QUOTA_EXCEEDED with Retry-After; the lease is given back at the close', async () => {
    const server = await start();
    const first = await openOn(server, '/quota', { 'x-quota-key': 'k' });
    const result = await send(server.port, { path: '/quota', headers: { 'x-quota-key': 'k' } });
    checkResponse(result, result.responses[0], refusedWith(reject.quotaExceeded(1), '/quota'));
    expect(result.responses[0]?.get('Retry-After')).toBe('1');
    first.destroy();
    await eventually(() => server.gate.connections.size === 0, 5_000, 'the first connection closed');
    await openOn(server, '/quota', { 'x-quota-key': 'k' });
  });

  it('a spent rate limit: 429 RATE_LIMITED with Retry-After', async () => {
    const server = await start();
    await openOn(server, '/rate', { 'x-rate-key': 'r' });
    const result = await send(server.port, { path: '/rate', headers: { 'x-rate-key': 'r' } });
    const response = result.responses[0];
    const retryAfter = Number(response?.get('Retry-After'));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    checkResponse(result, response, refusedWith(reject.rateLimited(retryAfter), '/rate'));
  });
});

// The real thing: curl --http2 asks for h2c with an upgrade; the server answers in HTTP/1.1 (RFC 9110 §7.8).
describe.runIf(existsSync(CURL)).each(serverKinds)('curl --http2, %s', (_kind, factory) => {
  async function curl(port: number, path: string): Promise<{ head: string; body: string }> {
    const { stdout } = await execFileAsync(CURL, [
      '--http2',
      '-sS',
      '-i',
      '--max-time',
      '5',
      `http://127.0.0.1:${port}${path}`,
    ]);
    const end = stdout.indexOf('\r\n\r\n');
    return { head: stdout.slice(0, end), body: stdout.slice(end + 4) };
  }

  it('an ordinary route is served as the request it is; a WebSocket route answers 426', async () => {
    const server = await factory({ trustProxy: false });
    running.push(server);
    const health = await curl(server.port, '/health');
    expect(health.head).toMatch(/^HTTP\/1\.1 200 /);
    expect(health.body).toBe('ok');
    const ws = await curl(server.port, '/ws');
    expect(ws.head).toMatch(/^HTTP\/1\.1 426 /);
    expect(ws.head).toMatch(/^wsgate-code: NOT_AN_UPGRADE$/im);
    expect(ws.body).toBe(rowBody(reject.notAnUpgrade));
    expect(server.app.probe.events).toEqual([]);
  });
});

// NOT_FOUND is the core's answer only where there is no app to give its own: `attach` on a server without
// 'request' listeners. Every adapter has an app, whose 404 a handshake off-route gets (contract.test.ts).
describe('core only', () => {
  it('a handshake off-route on a server without request listeners: 404 NOT_FOUND', async () => {
    const server = http.createServer();
    createGate({ logRejections: false })
      .route('/ws', () => {})
      .attach(server);
    const port = await listen(server);
    try {
      const result = await send(port, { path: '/nope' });
      checkResponse(result, result.responses[0], refusedWith('NOT_FOUND', undefined));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
