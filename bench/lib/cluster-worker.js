// One process of bench/cluster.js: a gate on node:http on its own port with a per-user quota (quotaPerKey on
// the hook's context) and a per-IP handshake rate limit, in Redis (STORE=redis, REDIS_URL) or in this
// process's memory (STORE=memory). Answers { type: 'stats' } with its store's counters and its CPU time.

import http from 'node:http';
import { createGate, MemoryLeaseStore, MemoryRateStore, quotaPerKey, rateLimitPerIp } from '@wsgate/core';
import { createRedisStore } from '@wsgate/redis';
import { Redis } from 'ioredis';

const { STORE, REDIS_URL, PREFIX, PER_USER, LEASE_MS, RENEW_EVERY_MS } = process.env;

let client;
let stores;
if (STORE === 'redis') {
  client = new Redis(REDIS_URL, { enableOfflineQueue: false });
  client.on('error', () => {});
  await new Promise((resolve) => client.once('ready', resolve));
  const shared = createRedisStore({
    client,
    prefix: PREFIX,
    leaseMs: Number(LEASE_MS || 15_000),
    renewEveryMs: RENEW_EVERY_MS ? Number(RENEW_EVERY_MS) : undefined,
    onError: (error) => process.send?.({ type: 'error', code: error.code, message: error.message }),
  });
  stores = {
    lease: shared,
    rate: shared,
    held: () => shared.stats().leasesHeld,
    commands: () => shared.stats().commands,
  };
} else {
  const lease = new MemoryLeaseStore();
  stores = { lease, rate: new MemoryRateStore(), held: () => lease.held(), commands: () => 0 };
}

const gate = createGate({
  logRejections: false,
  onError: (error) => process.send?.({ type: 'error', code: error?.code, message: String(error) }),
});
gate.route(
  '/chat',
  {
    onUpgrade: (upgrade) => ({ user: new URL(upgrade.request.url, 'http://x').searchParams.get('user') }),
    // Far above what the generator sends: the limit is checked (one hit per handshake), never reached.
    rateLimits: [rateLimitPerIp(1_000_000, { per: '1s', store: stores.rate })],
    quotas: [quotaPerKey(Number(PER_USER || 2), ({ context }) => context.user, { store: stores.lease })],
  },
  () => {},
);

const server = http.createServer((_request, response) => response.end('ok'));
gate.attach(server);
server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => {
  process.send?.({ type: 'listening', port: server.address().port });
});

process.on('message', (message) => {
  if (message.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'stats',
      held: stores.held(),
      commands: stores.commands(),
      connections: gate.connections.size,
      cpuUs: cpu.user + cpu.system,
    });
  }
});
// The parent went away (or let go of it on purpose): exit, which also writes a --cpu-prof profile.
process.on('disconnect', () => process.exit(0));
