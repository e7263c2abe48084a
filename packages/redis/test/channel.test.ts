// The revocation channel over a real redis-server, with every client library: a message published by
// one process's channel reaches the others (and its own), a malformed one is reported and dropped.
import type { RevocationMessage } from '@wsgate/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisChannel } from '../src/index.js';
import { clientKinds, connect } from './clients.js';
import { describeWithRedis, type RedisServer, startRedisServer } from './redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await sleep(10);
  expect(predicate()).toBe(true);
}

describeWithRedis('createRedisChannel against a real redis-server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const message: RevocationMessage = { keys: ['session:abc'], code: 4001, reason: 'logged out', origin: 'one' };

  describe.each(clientKinds)('with %s', (kind) => {
    for (const sharded of [false, true]) {
      it(`delivers to every subscribed channel (${sharded ? 'sharded' : 'plain'} pub/sub)`, async () => {
        const [a, b] = await Promise.all([connect(kind, server.port), connect(kind, server.port)]);
        const name = `wsgate:test:${kind}:${sharded}`;
        const one = createRedisChannel({ client: a.client, name, sharded });
        const two = createRedisChannel({ client: b.client, name, sharded });
        try {
          await Promise.all([one.ready, two.ready]);
          const got: [string, RevocationMessage][] = [];
          one.subscribe((m) => got.push(['one', m]));
          const stop = two.subscribe((m) => got.push(['two', m]));
          await one.publish(message);
          await until(() => got.length === 2);
          expect(got.map(([who]) => who).sort()).toEqual(['one', 'two']);
          expect(got[0]?.[1]).toEqual(message);
          stop();
          await one.publish({ ...message, origin: 'again' });
          await until(() => got.length === 3);
          await sleep(50);
          expect(got.length).toBe(3);
        } finally {
          await Promise.all([one.close(), two.close()]);
          await Promise.all([a.close(), b.close()]);
        }
      });
    }
  });

  it('reports and drops what is not a revocation', async () => {
    const { client, close } = await connect('ioredis', server.port);
    const errors: unknown[] = [];
    const channel = createRedisChannel({ client, name: 'wsgate:test:junk', onError: (e) => errors.push(e) });
    const raw = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      await channel.ready;
      const got: RevocationMessage[] = [];
      channel.subscribe((m) => got.push(m));
      await raw.publish('wsgate:test:junk', 'not json');
      await raw.publish('wsgate:test:junk', JSON.stringify({ ...message, code: 1006 }));
      await raw.publish('wsgate:test:junk', JSON.stringify(message));
      await until(() => got.length === 1);
      expect(errors.length).toBe(2);
    } finally {
      raw.disconnect();
      await channel.close();
      await close();
    }
  });

  it('refuses what is not a client', () => {
    expect(() => createRedisChannel({ client: {} })).toThrow(TypeError);
    expect(() => createRedisChannel({ client: { duplicate() {}, publish() {} }, name: '' })).toThrow(/name/);
  });
});
