// The adapter contract: one table of cases, over real sockets, against every server kind (the core's `attach` on
// node:http, Express 4 and 5, Koa 2 and 3, Fastify 5, Hono; each framework with trust proxy off and on). Each case
// checks the answer, what the handler got and the handshake event on each server, then that the bytes the core
// wrote are the same on every one: a difference between adapters is a failing test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyClients, eventually, sleep } from '../abuse/raw.js';
import { type Case, checkResponse, expectationOf, signature, writtenByCore } from './case.js';
import { openedCases } from './cases-opened.js';
import { refusedCases } from './cases-refused.js';
import { send } from './http.js';
import { type ContractServer, serverVariants } from './servers.js';

const servers = new Map<string, ContractServer>();

beforeAll(async () => {
  for (const { name, factory, trustProxy } of serverVariants) servers.set(name, await factory({ trustProxy }));
});

afterAll(async () => {
  await destroyClients();
  await Promise.all([...servers.values()].map((server) => server.close()));
});

/** Runs one case on one server; returns the signature of its answer. */
async function run(server: ContractServer, c: Case): Promise<string> {
  const expected = expectationOf(c, server.trustProxy);
  const { probe } = server.app;
  const before = { handled: probe.handled.length, events: probe.events.length, errors: probe.errors.length };
  const exchange = await send(server.port, c.request);
  const response = exchange.responses[0];
  checkResponse(exchange, response, expected);

  if (expected.handled === null || (expected.handled === undefined && expected.status !== 101)) {
    await sleep(10); // nothing may come late either
    expect(probe.handled.slice(before.handled)).toEqual([]);
  } else {
    await eventually(() => probe.handled.length > before.handled, 2_000, 'the handler called');
    expect(probe.handled.slice(before.handled)).toHaveLength(1);
    expect(probe.handled[before.handled]).toMatchObject(expected.handled ?? {});
  }
  if (expected.event === null) {
    await sleep(10);
    expect(probe.events.slice(before.events)).toEqual([]);
  } else if (expected.event !== undefined) {
    await eventually(() => probe.events.length > before.events, 2_000, 'the handshake event');
    const events = probe.events.slice(before.events);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(expected.event);
  }
  expect(probe.errors.slice(before.errors)).toHaveLength(expected.errors ?? 0);
  await eventually(() => server.gate.pending === 0, 2_000, 'no handshake pending');
  return signature(response, writtenByCore(expected));
}

describe.each([...refusedCases, ...openedCases].map((c) => [c.name, c] as const))('%s', (_name, c) => {
  const signatures = new Map<string, string>();

  it.each(serverVariants.map((variant) => [variant.name]))('%s', async (name) => {
    const server = servers.get(name) as ContractServer;
    signatures.set(name, await run(server, c));
  });

  it('the core’s answer is the same on every server kind', () => {
    expect(signatures.size, 'every server ran the case').toBe(serverVariants.length);
    // Grouped by what the case expects: with and without a trusted proxy, when that matters.
    const groups = new Map<string, Array<[string, string]>>();
    for (const variant of serverVariants) {
      const expected = expectationOf(c, variant.trustProxy);
      if (!writtenByCore(expected)) continue;
      const key = JSON.stringify([expected.status, expected.row?.code]);
      groups.set(key, [...(groups.get(key) ?? []), [variant.name, signatures.get(variant.name) as string]]);
    }
    for (const members of groups.values()) {
      const [first] = members;
      for (const [name, text] of members) expect(`${name}:\n${text}`).toBe(`${name}:\n${first?.[1]}`);
    }
  });
});
