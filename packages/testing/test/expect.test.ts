// The fluent expectations: what they accept, and failure messages that show the whole exchange.

import { AssertionError } from 'node:assert';
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { openCount } from '../src/cleanup.js';
import type { HandshakeAssertionError } from '../src/errors.js';
import { closeAll, expectHandshake } from '../src/index.js';
import { type Fixture, fixtures } from './apps.js';

let fixture: Fixture;
afterEach(async () => {
  await closeAll();
  await fixture?.close();
});

/** The thrown error of a promise that must fail: node:assert's AssertionError, which every runner diffs. */
async function failure(promise: Promise<unknown>): Promise<HandshakeAssertionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AssertionError);
  expect(error).toMatchObject({ code: 'ERR_ASSERTION', name: 'HandshakeAssertionError' });
  return error as HandshakeAssertionError;
}

/** A server whose refusals name their code in `wsgate-code`, as the core does once it sends the header. */
function serverWithCodeHeader() {
  const server = createServer();
  server.on('upgrade', (_request, socket) => {
    socket.end(
      'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 14\r\nwsgate-code: ORIGIN_FORBIDDEN\r\n\r\n403 Forbidden\n',
    );
  });
  return server;
}

/** An app whose own refusal is JSON with a `code` field. */
function appWithJsonCode() {
  const app = wsgate(express());
  app.ws(
    '/api',
    (_req, res) => void res.status(401).json({ code: 'E_AUTH' }),
    () => {},
  );
  return app;
}

describe('toBeRefused', () => {
  it('shows the status line, headers and body it got, the request it sent, and what was expected', async () => {
    fixture = await fixtures[0]!.create(); // Express
    const error = await failure(
      expectHandshake(fixture.target, '/chat').withProtocols('chat.v2').toBeRefused(403, { error: 'forbidden' }),
    );
    expect(error.message).toMatch(
      /^expected a refusal 403 with the JSON body \{"error":"forbidden"\}, but the status is 401\n/,
    );
    expect(error.message).toContain('the server answered:\n  HTTP/1.1 401 Unauthorized\n');
    expect(error.message).toMatch(/\n {2}Content-Type: application\/json; charset=utf-8\n/);
    expect(error.message).toContain('\n\n  {"error":"login required"}\n');
    expect(error.message).toContain('to the request:\n  GET /chat HTTP/1.1\n  Host: localhost\n');
    expect(error.message).toContain('\n  Sec-WebSocket-Protocol: chat.v2');
    expect([error.actual, error.expected]).toEqual([{ status: 401 }, { status: 403 }]);
    expect(error.response.status).toBe(401);
    expect(error.code).toBe('ERR_ASSERTION');
  });

  it('compares a string body as text and an object as JSON, and says which differs', async () => {
    fixture = await fixtures[0]!.create();
    const chat = expectHandshake(fixture.target, '/chat').withProtocols('chat.v2');
    await chat.toBeRefused(401, '{"error":"login required"}');
    await chat.toBeRefused(401, { body: { error: 'login required' }, headers: { 'content-type': /json/ } });
    const text = await failure(chat.toBeRefused(401, 'login required'));
    expect(text.message).toMatch(/^expected a refusal 401 with the body "login required", but the body differs/);
    expect([text.actual, text.expected]).toEqual([{ body: '{"error":"login required"}' }, { body: 'login required' }]);
    const json = await failure(chat.toBeRefused(401, { error: 'nope' }));
    expect(json.message).toMatch(/but the JSON body differs/);
    const header = await failure(chat.toBeRefused(401, { headers: { 'retry-after': '1' } }));
    expect(header.message).toMatch(/with headers retry-after: 1, but header retry-after is absent/);
  });

  it('fails on a 101, closing the socket it opened', async () => {
    fixture = await fixtures[3]!.create(); // core
    const error = await failure(
      expectHandshake(fixture.target, '/chat').withCookie('sid', 'ada').withProtocols('chat.v2').toBeRefused(401),
    );
    expect(error.message).toMatch(/^expected a refusal 401, but the handshake was accepted \(101\)/);
    expect(error.message).toContain('HTTP/1.1 101 Switching Protocols\n  Upgrade: websocket\n  Connection: Upgrade');
    expect(openCount()).toBe(0);
  });

  it('reads the core’s code from the wsgate-code header; says when there is none', async () => {
    const server = serverWithCodeHeader();
    const response = await expectHandshake(server, '/x').toBeRefused(403, { code: 'ORIGIN_FORBIDDEN' });
    expect(response.code).toBe('ORIGIN_FORBIDDEN');
    await expectHandshake(server, '/x').toBeRefused(403, { code: 'ORIGIN_FORBIDDEN', body: '403 Forbidden\n' });
    const wrong = await failure(expectHandshake(server, '/x').toBeRefused(403, { code: 'HOST_FORBIDDEN' }));
    expect(wrong.message).toMatch(/^expected a refusal 403 with code HOST_FORBIDDEN, but its code is ORIGIN_FORBIDDEN/);
    expect([wrong.actual, wrong.expected]).toEqual([{ code: 'ORIGIN_FORBIDDEN' }, { code: 'HOST_FORBIDDEN' }]);
    fixture = await fixtures[0]!.create();
    const none = await failure(
      expectHandshake(fixture.target, '/chat').withProtocols('chat.v2').toBeRefused(401, { code: 'REJECTED' }),
    );
    expect(none.message).toMatch(/but its code is absent \(no wsgate-code header\)\n/);
  });

  it('{ code } of a JSON body with a code field: the failure says how to compare the body instead', async () => {
    const app = appWithJsonCode();
    const error = await failure(expectHandshake(app, '/api').toBeRefused(401, { code: 'E_AUTH' }));
    expect(error.message).toContain('(to compare a JSON body with a `code` field, write { body: {…} })');
    await expectHandshake(app, '/api').toBeRefused(401, { body: { code: 'E_AUTH' } });
    // Any other object is the JSON body, as it is.
    await expect(expectHandshake(app, '/api').toBeRefused(401, { code: 'E_AUTH', more: true })).rejects.toThrow(
      /the JSON body differs/,
    );
  });
});

describe('toOpen', () => {
  it('resolves to the open socket; checks the protocol and the 101’s headers', async () => {
    fixture = await fixtures[3]!.create();
    const ada = expectHandshake(fixture.target, '/chat').withCookie('sid', 'ada');
    const socket = await ada
      .withProtocols(['chat.v1'])
      .toOpen({ protocol: 'chat.v1', headers: { upgrade: 'websocket' } });
    expect(socket.protocol).toBe('chat.v1');
    const wrong = await failure(ada.withProtocols(['chat.v1']).toOpen({ protocol: 'chat.v2' }));
    expect(wrong.message).toMatch(/^expected the handshake to open with protocol chat.v2, but the protocol is chat.v1/);
    expect(openCount()).toBe(1); // the first socket only: the failed expectation closed its own
  });

  it('a refusal fails it with the response', async () => {
    fixture = await fixtures[1]!.create(); // Koa
    const error = await failure(expectHandshake(fixture.target, '/chat').withProtocols('chat.v2').toOpen());
    expect(error.message).toMatch(/^expected the handshake to open, but it was refused with 401\n/);
    expect(error.message).toContain('{"error":"login required"}');
  });

  it('a 101 that the ws client fails (no subprotocol chosen from those offered) fails it, saying why', async () => {
    const gate = createGate().route('/plain', {}, () => {});
    const server = createServer();
    gate.attach(server);
    fixture = { close: () => gate.close() } as Fixture;
    const error = await failure(expectHandshake(server, '/plain').withProtocols('chat.v2').toOpen());
    expect(error.message).toMatch(/^expected the handshake to open, but .*Server sent no subprotocol/);
  });
});

describe('with…', () => {
  it('returns a new expectation each time: a base is shared between cases', async () => {
    fixture = await fixtures[3]!.create();
    const base = expectHandshake(fixture.target, '/chat').withProtocols('chat.v2');
    const ada = base.withCookie('sid', 'ada');
    await base.toBeRefused(401, { error: 'login required' });
    await ada.withOrigin('http://evil.example').toBeRefused(403);
    await ada.withHeader('X-Trace', '1').withHost('chat.example').toOpen({ protocol: 'chat.v2' });
    await ada.toOpen();
  });
});
