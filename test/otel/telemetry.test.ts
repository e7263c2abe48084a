// OpenTelemetry with the real SDK and @opentelemetry/instrumentation-http, on every adapter over HTTP/1.1 and
// HTTP/2: one span per handshake (attributes and status per the HTTP semantic conventions), no HTTP span
// left open by an upgrade, and the metrics. sdk.ts registers everything before node:http is used.

import http from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createGate } from '@wsgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, handshakeRequest, RawClient } from '../abuse/raw.js';
import { type Client, clientFor } from './clients.js';
import { exporter, openSpans, points, takeSpans, withParent, wsgateSpans } from './sdk.js';
import { kinds, type TelemetryServer } from './servers.js';

/** The wsgate spans ended so far, once `count` of them have. */
async function handshakeSpans(count: number): Promise<ReadableSpan[]> {
  await eventually(() => wsgateSpans(exporter.getFinishedSpans()).length >= count, 5_000, `${count} wsgate spans`);
  return wsgateSpans(takeSpans());
}

/** Spans of the HTTP instrumentation started and never ended. */
function openHttpSpans(): unknown[] {
  return [...openSpans.open].filter(
    (span) => (span as unknown as ReadableSpan).instrumentationScope.name === '@opentelemetry/instrumentation-http',
  );
}

describe.each(kinds)('%s over %s, with the SDK and instrumentation-http', (kind, protocol, start) => {
  let server: TelemetryServer;
  let client: Client;
  const version = protocol === 'h2' ? '2' : '1.1';
  const method = protocol === 'h2' ? 'CONNECT' : 'GET';
  const success = protocol === 'h2' ? 200 : 101;

  beforeAll(async () => {
    server = await start(protocol);
    client = clientFor(protocol, server);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    takeSpans();
  });

  it('an accepted handshake: a server span with the route template, ended at the 101 (200), status unset', async () => {
    const socket = await client.open(server.room.path);
    const [span] = await handshakeSpans(1);
    expect(span?.name).toBe(`${method} ${server.room.template}`);
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toMatchObject({
      'http.request.method': method,
      'http.route': server.room.template,
      'url.scheme': protocol === 'h2' ? 'https' : 'http',
      'server.address': protocol === 'h2' ? 'localhost' : '127.0.0.1',
      'server.port': server.port,
      'network.protocol.version': version,
      'http.response.status_code': success,
      'wsgate.outcome': 'accept',
      'wsgate.transport': protocol,
    });
    expect(span?.attributes).not.toHaveProperty('error.type');
    expect(span?.attributes).not.toHaveProperty('wsgate.code');
    // The instrumentation made no span for the upgrade, or ended it: nothing is held open for the connection.
    expect(openHttpSpans()).toEqual([]);
    const active = await points('wsgate.connection.active');
    expect(active).toContainEqual(
      expect.objectContaining({
        attributes: { 'http.route': server.room.template, 'wsgate.transport': protocol },
        value: 1,
      }),
    );
    await socket.close();
    // The close: a short span of its own, linked to the handshake's, and the connection's duration by cause.
    const [closed] = await handshakeSpans(1);
    expect(closed?.name).toBe(`websocket close ${server.room.template}`);
    expect(closed?.links[0]?.context.spanId).toBe(span?.spanContext().spanId);
    expect(closed?.parentSpanContext).toBeUndefined();
    expect(closed?.attributes).toMatchObject({ 'wsgate.close.cause': 'client', 'wsgate.close.code': 1000 });
    await eventually(() => openHttpSpans().length === 0);
    const after = await points('wsgate.connection.active');
    expect(after.find((p) => p.attributes['http.route'] === server.room.template)?.value).toBe(0);
    const lived = await points('wsgate.connection.duration');
    expect(lived).toContainEqual(
      expect.objectContaining({
        attributes: {
          'http.route': server.room.template,
          'wsgate.transport': protocol,
          'wsgate.close.cause': 'client',
        },
      }),
    );
  });

  it.each([
    // path, status, code, whether the span is an error (5xx), the limit
    ['/auth', 401, 'REJECTED', false, undefined],
    ['/throw', 500, 'HOOK_FAILED', true, undefined],
    ['/hang', 503, 'HANDSHAKE_TIMEOUT', true, undefined],
  ] as const)('a refusal on %s: %i %s', async (path, status, code, error) => {
    expect(await client.refused(path)).toBe(status);
    const [span] = await handshakeSpans(1);
    // Koa's middleware before `ws.route(...)` answers before the route is known: no route is made up then.
    const route = kind === 'koa' && path === '/auth' ? undefined : path;
    expect(span?.name).toBe(route === undefined ? method : `${method} ${path}`);
    if (route === undefined) expect(span?.attributes).not.toHaveProperty('http.route');
    expect(span?.attributes).toMatchObject({
      ...(route && { 'http.route': route }),
      'http.response.status_code': status,
      'wsgate.code': code,
      'wsgate.outcome': 'reject',
      'network.protocol.version': version,
    });
    expect(span?.status.code).toBe(error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
    if (error) expect(span?.attributes['error.type']).toBe(code);
    else expect(span?.attributes).not.toHaveProperty('error.type');
    // Started when the request came, not when the outcome did: the deadline's span lasts the deadline.
    if (code === 'HANDSHAKE_TIMEOUT') expect(span?.duration[0] * 1e3 + span?.duration[1] / 1e6).toBeGreaterThan(100);
    expect(openHttpSpans()).toEqual([]);
    const durations = await points('wsgate.handshake.duration');
    expect(durations).toContainEqual(
      expect.objectContaining({
        attributes: expect.objectContaining({ 'wsgate.code': code, 'http.response.status_code': status }),
      }),
    );
  });

  it.each([
    ['/rate', 'RATE_LIMITED', 'rateLimitPerKey'],
    ['/quota', 'QUOTA_EXCEEDED', 'quotaPerRoute'],
  ] as const)('a limit on %s: 429 %s, counted by the kind of limit', async (path, code, limit) => {
    const first = await client.open(path);
    expect(await client.refused(path)).toBe(429);
    const spans = await handshakeSpans(2);
    const refused = spans.find((span) => span.attributes['wsgate.code'] === code);
    expect(refused?.attributes).toMatchObject({ 'wsgate.limit': limit, 'http.response.status_code': 429 });
    expect(refused?.status.code).toBe(SpanStatusCode.UNSET);
    const refusals = await points('wsgate.limit.refusals');
    expect(refusals).toContainEqual(
      expect.objectContaining({
        attributes: expect.objectContaining({ 'wsgate.limit': limit, 'wsgate.code': code, 'http.route': path }),
      }),
    );
    await first.close();
    const [closed] = await handshakeSpans(1);
    expect(closed?.name).toBe(`websocket close ${path}`);
  });

  it('a client that leaves mid-handshake: CLIENT_GONE, no status code, an error per the conventions', async () => {
    await client.abort('/stall');
    const [span] = await handshakeSpans(1);
    expect(span?.attributes).toMatchObject({
      'wsgate.outcome': 'abort',
      'wsgate.code': 'CLIENT_GONE',
      'error.type': 'CLIENT_GONE',
    });
    expect(span?.attributes).not.toHaveProperty('http.response.status_code');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(openHttpSpans()).toEqual([]);
  });

  it('the handshake histogram has buckets from a millisecond, in seconds', async () => {
    const [point] = await points('wsgate.handshake.duration');
    const histogram = point?.value as Histogram;
    expect(histogram.buckets.boundaries.slice(0, 3)).toEqual([0.001, 0.0025, 0.005]);
    expect(histogram.max).toBeLessThan(10);
  });

  it('an ordinary request gets the HTTP instrumentation’s own server span (it is active), and no wsgate span', async () => {
    const response = await fetch(`${server.origin.replace('https://localhost', 'http://127.0.0.1')}/health`).catch(
      () => undefined,
    );
    if (protocol === 'h2') return; // instrumentation-http does not instrument node:http2
    expect(response?.status).toBe(200);
    await eventually(() => exporter.getFinishedSpans().length > 0);
    const spans = takeSpans();
    expect(spans.map((span) => span.instrumentationScope.name)).toContain('@opentelemetry/instrumentation-http');
    expect(wsgateSpans(spans)).toEqual([]);
  });
});

describe('the parent: the context the handshake opened in', () => {
  it('a handshake opened under a server span is its child (internal), also when a timer ends it', async () => {
    const gate = createGate({ logRejections: false });
    gate.route('/ws', { onUpgrade: (upgrade) => upgrade.reject(403) }, () => {});
    gate.route('/hang', { handshakeTimeout: 100, onUpgrade: () => new Promise<never>(() => {}) }, () => {});
    const server = http.createServer();
    const parents: string[] = [];
    server.on('upgrade', (request, socket, head) =>
      withParent('GET (an upstream server span)', (parent) => {
        parents.push(parent.spanContext().spanId);
        gate.handleUpgrade(request, socket, head);
        parent.end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    takeSpans();
    try {
      for (const path of ['/ws', '/hang']) {
        const raw = await RawClient.open(port);
        raw.write(handshakeRequest(port, path));
        await raw.serverClosed();
        raw.destroy();
      }
      const spans = await handshakeSpans(2);
      expect(spans.map((span) => [span.kind, span.parentSpanContext?.spanId])).toEqual([
        [SpanKind.INTERNAL, parents[0]],
        [SpanKind.INTERNAL, parents[1]],
      ]);
    } finally {
      await gate.close({ timeout: 100 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
