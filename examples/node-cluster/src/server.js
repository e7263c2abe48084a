// Several processes, one set of limits: node:cluster forks WORKERS processes that share one port, each with its
// own gate, and one Redis (REDIS_URL) holds the quotas and rate limits they all enforce. A user may hold at most
// PER_USER connections in total, whichever processes they land on; a crashed process's slots come back after
// the lease time (LEASE_MS).
import cluster from 'node:cluster';
import { once } from 'node:events';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { createGate, loopbackHosts, quotaPerKey, rateLimitPerIp } from '@wsgate/core';
import { createRedisStore } from '@wsgate/redis';
import { Redis } from 'ioredis';

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const workers = Number(process.env.WORKERS || Math.min(4, availableParallelism()));
const perUser = Number(process.env.PER_USER || 2);
const leaseMs = Number(process.env.LEASE_MS || 15_000);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let announced = false;
  cluster.on('listening', (_worker, address) => {
    if (announced) return;
    announced = true; // every worker listens on the same port (0: the same one, chosen once)
    console.log(`listening on http://${host}:${address.port}`);
    console.log(
      `${workers} workers, at most ${perUser} connections per user across all of them, limits in ${redisUrl}`,
    );
  });
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    // A real deployment restarts the worker; its leases expire after LEASE_MS unless it gave them back.
    console.log(
      `worker ${worker.id} exited (${signal ?? code}); its connections' slots come back within ${leaseMs} ms`,
    );
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      stopping = true;
      // Each worker stops itself (gate, then leases): worker.kill() would first wait for its server to close.
      for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
    });
  }
} else {
  await startWorker();
}

async function startWorker() {
  const id = cluster.worker.id;
  // No offline queue: while Redis is unreachable a limit answers at once (per onStoreError), it does not wait.
  // No 'error' listener of our own: the store adds one and reports the first error of each outage to onError.
  const client = new Redis(redisUrl, { enableOfflineQueue: false });
  const store = createRedisStore({
    client,
    leaseMs,
    onError: (error) => console.warn(`worker ${id}: ${error.code}: ${error.message}`),
  });

  const gate = createGate({
    hosts: host === '127.0.0.1' || host === 'localhost' ? loopbackHosts() : undefined,
    onError: (error) => console.warn(`worker ${id}:`, error),
  });
  gate.route(
    '/chat',
    {
      // Stands in for your authentication (a session cookie, a token): the user this connection belongs to.
      onUpgrade: (upgrade) => {
        const user = new URL(upgrade.request.url, 'http://x').searchParams.get('user');
        return user ? { user } : upgrade.reject(401, 'who are you? add ?user=NAME\n');
      },
      // Handshake attempts per client IP, before the hook: 20 per second across every worker.
      rateLimits: [rateLimitPerIp(20, { per: '1s', store, name: 'ip' })],
      // Open connections per user, across every worker. Redis down: refuse (503), the default.
      quotas: [quotaPerKey(perUser, ({ context }) => context.user, { store, name: 'user' })],
    },
    (socket, { context }) => {
      socket.send(`hello ${context.user}, this is worker ${id} (pid ${process.pid})`);
      socket.on('message', (data) => socket.send(`${context.user}: ${data}`));
    },
  );

  const server = http.createServer((request, response) => {
    if (request.url === '/health') response.end('ok');
    else response.writeHead(404).end('not found');
  });
  gate.attach(server);
  // A worker takes handshakes once its limits can be asked: until then it would refuse them all (503).
  if (client.status !== 'ready') await once(client, 'ready');
  server.listen(port, host);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Closes the connections in batches with 1012 (clients reconnect to the other workers); their leases are
    // released as they close.
    await gate.drain({ batchSize: 100, intervalMs: 200, deadlineMs: 2_000 });
    await store.close({ release: true }); // and whatever is left, so nothing waits for expiry
    client.disconnect();
    server.close();
    cluster.worker.disconnect(); // the channel to the primary is the last thing that keeps a worker alive
  };
  // Ctrl-C reaches every process of the group; the primary forwards SIGTERM.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, stop);
}
