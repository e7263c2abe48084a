// quotaPerIp and rateLimitPerIp key on the framework's client IP (Express req.ip, Koa ctx.ip, Fastify
// request.ip) after its trust-proxy rules: an X-Forwarded-For from a peer the framework does not trust must not
// move the key (a client could otherwise pick a fresh IP per handshake), one from a trusted proxy must.
// The keys are read back from Redis, where the limits of every process meet.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { quotaPerIp, rateLimitPerIp } from '@wsgate/core';
import { wsgate as expressGate } from '@wsgate/express';
import { wsgate as fastifyGate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import { createRedisStore, type RedisStore } from '@wsgate/redis';
import express from 'express';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, describeWithRedis, handshake, type RedisServer, startRedisServer } from './support.js';

type Limits = { quotas?: unknown[]; rateLimits?: unknown[]; onUpgrade?: () => unknown };
interface Served {
  readonly url: string;
  close(): Promise<unknown>;
}

const hello = (socket: { send(data: string): void }) => socket.send('hi');

/**
 * One app per framework with a WebSocket route at /ws, whose own middleware calls `seen`; `trusted`: whether
 * the framework trusts 127.0.0.1 as a proxy.
 */
const frameworks: Record<string, (trusted: boolean, limits: Limits, seen?: () => void) => Promise<Served>> = {
  async express(trusted, limits, seen = () => {}) {
    const app = expressGate(express(), { logRejections: false });
    // Express trusts the listed proxies only: 10.0.0.1 is not the peer here, loopback is.
    app.set('trust proxy', trusted ? 'loopback' : '10.0.0.1');
    app.ws(
      '/ws',
      limits as never,
      (_req: unknown, _res: unknown, next: () => void) => {
        seen();
        next();
      },
      hello,
    );
    return listening(app.listen(0, '127.0.0.1'));
  },
  async koa(trusted, limits, seen = () => {}) {
    const app = new Koa();
    app.proxy = trusted; // Koa trusts X-Forwarded-For from any peer, or from none
    const ws = koaGate(app, { logRejections: false });
    const router = new Router();
    router.get(
      '/ws',
      ws.route(
        limits as never,
        (_ctx: unknown, next: () => Promise<void>) => {
          seen();
          return next();
        },
        hello,
      ),
    );
    app.use(router.routes());
    return listening(ws.attach(app.listen(0, '127.0.0.1')));
  },
  async fastify(trusted, limits, seen = () => {}) {
    const app = Fastify({ trustProxy: trusted ? '127.0.0.1' : '10.0.0.1' });
    await app.register(fastifyGate, { logRejections: false });
    app.get('/ws', { websocket: limits as never, preHandler: async () => seen() }, hello);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws`, close: () => app.close() };
  },
};

async function listening(server: Server): Promise<Served> {
  if (!server.listening) await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describeWithRedis('the client IP of quotaPerIp and rateLimitPerIp is the framework’s', () => {
  let redis: RedisServer;
  let client: Redis;
  let store: RedisStore;
  let served: Served | undefined;
  let namespace = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  afterEach(async () => {
    await closeAll();
    await served?.close();
    await store?.close({ release: true });
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  const limits = {
    quotaPerIp: (store: RedisStore) => ({ quotas: [quotaPerIp(1, { store, name: 'ip' })] }),
    rateLimitPerIp: (store: RedisStore) => ({ rateLimits: [rateLimitPerIp(1, { per: '60s', store, name: 'ip' })] }),
  };

  describe.each(Object.keys(frameworks))('%s', (framework) => {
    it.each([
      ['quotaPerIp', false],
      ['quotaPerIp', true],
      ['rateLimitPerIp', false],
      ['rateLimitPerIp', true],
    ] as const)('%s, proxy trusted: %s', async (limit, trusted) => {
      const prefix = `ip:${++namespace}:`;
      store = createRedisStore({ client, prefix });
      served = await frameworks[framework]!(trusted, limits[limit](store));
      const first = await handshake(served.url, { 'X-Forwarded-For': '203.0.113.10' });
      const second = await handshake(served.url, { 'X-Forwarded-For': '203.0.113.11' });
      const keys = (await client.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
      const kind = limit === 'quotaPerIp' ? 'lease' : 'rate';
      expect(first.status).toBe(101);
      if (trusted) {
        // Each forwarded client is its own key: both get in.
        expect(second.status).toBe(101);
        expect(keys).toEqual([`${kind}:n.ip:ip:203.0.113.10`, `${kind}:n.ip:ip:203.0.113.11`]);
      } else {
        // The header is the client's own claim: the key stays the peer's, and the limit of 1 holds.
        expect([second.status, second.code]).toEqual([429, limit === 'quotaPerIp' ? 'QUOTA_EXCEEDED' : 'RATE_LIMITED']);
        expect(keys).toHaveLength(1);
        expect(keys[0]).toMatch(new RegExp(`^${kind}:n\\.ip:ip:(::ffff:)?127\\.0\\.0\\.1$`));
      }
    });

    it('refuses a handshake over its rate limit before the route’s own middleware and the hook run', async () => {
      store = createRedisStore({ client, prefix: `ip:${++namespace}:` });
      const ran = { middleware: 0, hook: 0 };
      const onUpgrade = () => ({ n: ++ran.hook });
      const options = { ...limits.rateLimitPerIp(store), onUpgrade };
      served = await frameworks[framework]!(false, options, () => ran.middleware++);
      const outcomes = [await handshake(served.url), await handshake(served.url), await handshake(served.url)];
      expect(outcomes.map((o) => [o.status, o.code])).toEqual([
        [101, undefined],
        [429, 'RATE_LIMITED'],
        [429, 'RATE_LIMITED'],
      ]);
      expect(ran).toEqual({ middleware: 1, hook: 1 });
    });
  });
});
