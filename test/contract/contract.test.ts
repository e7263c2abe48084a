// The adapter contract: one table of cases, over real sockets, against every server kind (the core's `attach` on
// node:http, Express 4 and 5, Koa 2 and 3, Fastify 5, Hono; each framework with trust proxy off and on). Each case
// checks the answer, what the handler got and the handshake event on each server, then that the bytes the core
// wrote are the same on every one: a difference between adapters is a failing test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyClients } from '../abuse/raw.js';
import {
  type Case,
  checkEffects,
  checkResponse,
  effectsSoFar,
  expectationOf,
  signature,
  writtenByCore,
} from './case.js';
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
  const before = effectsSoFar(server);
  const exchange = await send(server.port, c.request);
  const response = exchange.responses[0];
  checkResponse(exchange, response, expected);
  await checkEffects(server, before, expected);
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
