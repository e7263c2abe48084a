// A handshake that fails after its quota took a lease gives the lease back, in Redis: when the acceptance
// cannot be written, when the client leaves or the deadline passes while Redis is slow, and when Redis answers
// after the gate stopped waiting (storeTimeout). Redis is made slow for real with CLIENT PAUSE.
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createGate, type Gate, type HandshakeEvent, type QuotaOptions, quotaPerKey } from '@wsgate/core';
import { wsgate } from '@wsgate/fastify';
import { createRedisStore, type RedisStore } from '@wsgate/redis';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { closeAll, describeWithRedis, handshake, type RedisServer, sleep, startRedisServer } from './support.js';

const ada = ({ context }: { context: { user: string } }) => context.user;

describeWithRedis('leases of a handshake that fails after the acquire', () => {
  let redis: RedisServer;
  let client: Redis;
  let inspect: Redis;
  let store: RedisStore;
  const errors: unknown[] = [];
  const events: HandshakeEvent[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis({ host: '127.0.0.1', port: redis.port });
    inspect = new Redis({ host: '127.0.0.1', port: redis.port });
    store = createRedisStore({ client, prefix: 'failures:', onError: (e) => errors.push(e) });
  });
  afterEach(async () => {
    await closeAll();
    for (const close of closers.splice(0)) await close();
    // The leases of the connections just closed are given back before the next test counts commands.
    await vi.waitFor(async () => expect(await leases()).toBe(0));
    errors.length = 0;
    events.length = 0;
  });
  afterAll(async () => {
    await store?.close({ release: true });
    client?.disconnect();
    inspect?.disconnect();
    await redis?.stop();
  });

  /** A gate on node:http with one route, /chat, whose hook's user has a quota of 1 in Redis. */
  async function serve(quota: QuotaOptions = {}, handshakeTimeout = 10_000): Promise<{ gate: Gate; port: number }> {
    const gate = createGate({
      handshakeTimeout,
      logRejections: false,
      onEvent: (e) => e.outcome !== 'close' && events.push(e),
      onError: (e) => errors.push(e),
    });
    gate.route(
      '/chat',
      { onUpgrade: () => ({ user: 'ada' }), quotas: [quotaPerKey(1, ada, { store, name: 'user', ...quota })] },
      (socket) => socket.send('hi'),
    );
    const server = http.createServer();
    gate.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      await gate.close({ timeout: 500 });
      server.close();
    });
    return { gate, port: (server.address() as AddressInfo).port };
  }

  /** Redis answers nobody for `ms` (every client, every command), as a Redis busy or far away would. */
  const pause = (ms: number) => inspect.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  const leases = () => inspect.zcard('failures:lease:n.user:key:ada');
  /** Once Redis answers again: the acquire was granted (1 command) and given back (1 command), nothing held. */
  async function grantedThenReleased(commandsBefore: number) {
    await vi.waitFor(() => expect(store.stats().commands).toBe(commandsBefore + 2), { timeout: 5_000 });
    await vi.waitFor(async () => expect(await leases()).toBe(0));
    expect(store.stats().leasesHeld).toBe(0);
  }

  it('gives the lease back when the acceptance cannot be written (a header Fastify took unchecked)', async () => {
    const app = Fastify();
    await app.register(wsgate, { logRejections: false, onError: (e) => errors.push(e) });
    app.get(
      '/chat',
      {
        websocket: { onUpgrade: () => ({ user: 'ada' }), quotas: [quotaPerKey(1, ada, { store, name: 'user' })] },
        // Fastify's reply.header() checks nothing; the 101's writer refuses a character above U+00FF.
        onRequest: async (request, reply) => {
          if (request.headers['x-bad'] !== undefined) reply.header('x-name', 'Zo\u0100');
        },
      },
      (socket) => socket.send('hi'),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/chat`;

    const refused = await handshake(url, { 'x-bad': '1' });
    expect([refused.status, refused.code]).toEqual([500, 'HOOK_FAILED']);
    expect(errors).toEqual([expect.objectContaining({ code: 'UNSAFE_HEADER' })]);
    await vi.waitFor(async () => expect(await leases()).toBe(0));
    expect((await handshake(url)).status).toBe(101); // the one slot is free
  });

  it('gives the lease back when the client leaves while Redis is slow to grant it', async () => {
    const { port } = await serve({ storeTimeout: 5_000 });
    const { commands } = store.stats();
    await pause(600);
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await sleep(150); // the acquire is on its way; Redis holds it
    socket.destroy();
    await vi.waitFor(() => expect(events.map((e) => [e.outcome, e.code])).toEqual([['abort', 'CLIENT_GONE']]));
    await grantedThenReleased(commands);
  });

  it('gives the lease back when the handshake deadline passes while Redis is slow (503 HANDSHAKE_TIMEOUT)', async () => {
    const { port } = await serve({ storeTimeout: 5_000 }, 200);
    const { commands } = store.stats();
    await pause(600);
    const late = await handshake(`ws://127.0.0.1:${port}/chat`);
    expect([late.status, late.code]).toEqual([503, 'HANDSHAKE_TIMEOUT']);
    await grantedThenReleased(commands);
    expect(errors).toEqual([]);
  });

  it('answers at storeTimeout per onStoreError, tells onError, and gives back the lease Redis grants later', async () => {
    for (const onStoreError of ['fail-closed', 'fail-open'] as const) {
      const { port } = await serve({ storeTimeout: 150, onStoreError });
      const { commands } = store.stats();
      await pause(600);
      const outcome = await handshake(`ws://127.0.0.1:${port}/chat`);
      if (onStoreError === 'fail-closed') expect([outcome.status, outcome.code]).toEqual([503, 'STORE_UNAVAILABLE']);
      else expect(outcome.status).toBe(101); // admitted without a lease: it counts nowhere
      expect(errors).toEqual([expect.objectContaining({ code: 'STORE_TIMEOUT' })]);
      await grantedThenReleased(commands);
      await closeAll();
      errors.length = 0;
    }
  });
});
