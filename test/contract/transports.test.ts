// The contract's transport axis: each case of the table that means the same over HTTP/2 (an RFC 8441 extended
// CONNECT, on the kinds that serve it) or over draft-76 (on the routes with `legacy`) runs there too, on every
// server kind (trust proxy off), and gets the answer it gets over HTTP/1.1: the status (a 101 is a 200 over
// HTTP/2, and draft-76's own 101), the core's row, the app's body and headers, what the handler got and the
// handshake event, each with its own transport. What only one transport has stays in h2.test.ts and
// test/legacy/adapters.test.ts.
import type { TransportName } from '@wsgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHixie76 } from '../../packages/core/test/fixtures/hixie76-client.js';
import { connectH2, readBody } from '../h2/client.js';
import {
  type Case,
  checkEffects,
  type Expectation,
  effectsSoFar,
  expectationOf,
  rowBody,
  type TransportRequest,
} from './case.js';
import { openedCases } from './cases-opened.js';
import { refusedCases } from './cases-refused.js';
import { type ContractServer, h2ServerKinds, serverKinds } from './servers.js';

type Other = Exclude<TransportName, 'http/1.1'>;

/** An answer in the same shape on either transport: header names in lower case. */
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

const servers: Record<Other, Map<string, ContractServer>> = { h2: new Map(), 'hixie-76': new Map() };

beforeAll(async () => {
  for (const [kind, factory] of h2ServerKinds) servers.h2.set(kind, await factory({ trustProxy: false, h2: true }));
  for (const [kind, factory] of serverKinds) servers['hixie-76'].set(kind, await factory({ trustProxy: false }));
});

afterAll(async () => {
  await Promise.all(Object.values(servers).flatMap((each) => [...each.values()].map((server) => server.close())));
});

/** Sends the case's request over the transport; the connection is gone once the answer is in. */
async function ask(transport: Other, port: number, request: TransportRequest): Promise<Answer> {
  const fill = (text: string) => text.replaceAll('{port}', String(port));
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name, fill(value)]));
  const origin = request.origin === undefined ? undefined : fill(request.origin);
  if (transport === 'h2') {
    const opened = await connectH2(`https://localhost:${port}`, request.path, {
      headers: {
        ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
        ...(origin && { origin }),
        ...(request.authority && { ':authority': fill(request.authority) }),
        ...(request.protocols && { 'sec-websocket-protocol': request.protocols }),
      },
    });
    const body = opened.status === 200 ? '' : await readBody(opened.stream);
    opened.session.destroy();
    return { status: opened.status, headers: opened.headers, body };
  }
  const outcome = await connectHixie76(port, {
    path: request.path,
    origin: origin ?? null, // no Origin line unless given, as over HTTP/2
    ...(request.authority && { host: fill(request.authority) }),
    ...(request.protocols && { protocol: request.protocols }),
    headers,
  });
  if (!outcome.accepted) return outcome;
  outcome.connection.socket.destroy();
  return { status: 101, headers: outcome.headers, body: '' };
}

/** HTTP/1.1's own header lines of an answer, which no other transport has. */
const FRAMING = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'content-length']);

/** The HTTP/1.1 expectation, said for the transport: its status for a 101, its name in the handler and event. */
function over(transport: Other, expected: Expectation): Expectation {
  const status = expected.status === 101 && transport === 'h2' ? 200 : expected.status;
  return {
    ...expected,
    status,
    ...(expected.handled && { handled: { ...expected.handled, transport } }),
    ...(expected.event?.transport && { event: { ...expected.event, status, transport } }),
  };
}

function checkAnswer(answer: Answer, expected: Expectation): void {
  expect(answer.status, answer.body).toBe(expected.status);
  const { row } = expected;
  if (row !== undefined) {
    expect(answer.headers['wsgate-code']).toBe(row.code);
    expect(answer.body).toBe(rowBody(row));
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    for (const [name, value] of Object.entries(row.headers)) {
      expect(answer.headers[name.toLowerCase()], name).toBe(String(value));
    }
  }
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const got = answer.headers[name.toLowerCase()];
    if (FRAMING.has(name.toLowerCase())) continue;
    if (value === null) expect(got, `${name} absent`).toBeUndefined();
    else if (typeof value === 'string') expect(got, name).toBe(value);
    else expect(got, name).toMatch(value);
  }
  const { body } = expected;
  if (typeof body === 'string') expect(answer.body).toBe(body);
  else if (body instanceof RegExp) expect(answer.body).toMatch(body);
  else if (body !== undefined) expect(JSON.parse(answer.body)).toEqual(body.json);
}

const table: Array<[Other, string, Case, TransportRequest]> = [...refusedCases, ...openedCases].flatMap((c) =>
  (['h2', 'hixie-76'] as const).flatMap((transport) => {
    const request = c.over?.[transport];
    return request === undefined ? [] : [[transport, c.name, c, request] as [Other, string, Case, TransportRequest]];
  }),
);

describe.each(table)('over %s: %s', (transport, _name, c, request) => {
  const kinds = transport === 'h2' ? h2ServerKinds : serverKinds;
  it.each(kinds.map(([kind]) => [kind]))('%s', async (kind) => {
    const server = servers[transport].get(kind) as ContractServer;
    const expected = request.expect ?? over(transport, expectationOf(c, false));
    const before = effectsSoFar(server);
    checkAnswer(await ask(transport, server.port, request), expected);
    await checkEffects(server, before, expected);
  });
});
