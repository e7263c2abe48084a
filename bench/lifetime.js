// Connection lifetime figures: revocation latency (one process, and across 4 processes over a real
// redis-server this script starts), draining 10,000 connections (close times, peak closes per second), and
// the server's CPU with heartbeats on and off for 10,000 idle connections. Every server is its own process;
// the clients live in this one. Timestamps on both sides are wall-clock (performance.timeOrigin + now()).
//
//   node bench/lifetime.js                  everything (needs redis-server on PATH for the cluster part)
//   node bench/lifetime.js --only revoke,drain,heartbeat [--connections 10000] [--samples 300]
//
// Prints JSON lines on stdout; progress on stderr.

import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const log = (...args) => console.error('[lifetime]', ...args);

// --- a gate in its own process, driven over IPC ---------------------------------------------------------

async function serve(config) {
  const { createGate } = await import('@wsgate/core');
  let channel;
  let client;
  if (config.redisPort !== undefined) {
    const { Redis } = await import('ioredis');
    const { createRedisChannel } = await import('@wsgate/redis');
    client = new Redis({ host: '127.0.0.1', port: config.redisPort });
    await once(client, 'ready');
    channel = createRedisChannel({ client });
    await channel.ready;
  }
  const gate = createGate({ logRejections: false, revocationChannel: channel, maxPending: 20_000 });
  gate.route(
    '/ws',
    {
      onUpgrade: (upgrade) => ({ key: new URL(upgrade.request.url, 'http://x').searchParams.get('k') ?? '' }),
      keys: ({ key }) => [key],
      heartbeat: config.heartbeat,
    },
    () => {},
  );
  const server = http.createServer((_req, res) => res.end());
  gate.attach(server);
  server.listen(0, '127.0.0.1', 4096);
  await once(server, 'listening');
  process.send({ port: server.address().port });
  process.on('disconnect', () => process.exit(0)); // the bench ended
  process.on('message', async (message) => {
    if (message.op === 'revoke') {
      const t0 = now();
      const { closed } = gate.revoke(message.key);
      process.send({ t0, closed });
    } else if (message.op === 'drain') {
      const t0 = now();
      const result = await gate.drain(message.options);
      process.send({ t0, result });
    } else if (message.op === 'cpu') {
      process.send({ cpu: process.cpuUsage(), open: gate.connections.size });
    } else if (message.op === 'exit') {
      await gate.close({ timeout: 500 });
      await channel?.close();
      client?.disconnect();
      process.exit(0);
    }
  });
}

function startServer(config) {
  const child = fork(self, ['--server', JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies = [];
  child.on('message', (message) => replies.shift()?.(message));
  const next = () => new Promise((resolve) => replies.push(resolve));
  return next().then(({ port }) => ({
    port,
    ask(message) {
      const answer = next();
      child.send(message);
      return answer;
    },
    async stop() {
      const exited = once(child, 'exit');
      child.send({ op: 'exit' });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      child.kill('SIGKILL');
    },
  }));
}

// --- clients ---------------------------------------------------------------------------------------------

async function openMany(WebSocket, port, count, keyOf = (i) => `k${i}`) {
  const sockets = [];
  for (let start = 0; start < count; start += 250) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 250); i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?k=${keyOf(i)}`, { perMessageDeflate: false });
      batch.push(
        new Promise((resolve, reject) => {
          socket.once('open', () => resolve(socket));
          socket.once('error', reject);
        }),
      );
    }
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (value) => Math.round(value * 100) / 100;

async function revocationLatency(WebSocket, servers, samples, label) {
  // Sockets on every server but the first; the first revokes (in the cluster run: over Redis).
  const targets = servers.length === 1 ? servers : servers.slice(1);
  const latencies = [];
  for (let i = 0; i < samples; i++) {
    const target = targets[i % targets.length];
    const [socket] = await openMany(WebSocket, target.port, 1, () => `r${i}`);
    const closed = new Promise((resolve) => socket.once('close', () => resolve(now())));
    const { t0, closed: local } = await servers[0].ask({ op: 'revoke', key: `r${i}` });
    if (servers.length === 1 && local !== 1) throw new Error('the local revocation closed nothing');
    latencies.push((await closed) - t0);
  }
  latencies.sort((a, b) => a - b);
  return {
    figure: `revocation latency, ${label}`,
    samples,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies.at(-1)),
  };
}

async function startRedis() {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, stop: () => child.kill('SIGTERM') };
}

async function drainFigure(WebSocket, connections) {
  const server = await startServer({ heartbeat: false });
  const sockets = await openMany(WebSocket, server.port, connections);
  const closes = [];
  for (const socket of sockets) socket.once('close', () => closes.push(now()));
  const options = { batchSize: 1_000, intervalMs: 1_000, deadlineMs: 30_000 };
  log(`draining ${connections} connections`, options);
  const { t0, result } = await server.ask({ op: 'drain', options });
  while (closes.length < connections) await new Promise((resolve) => setTimeout(resolve, 50));
  const times = closes.map((t) => t - t0).sort((a, b) => a - b);
  // Peak rate: the most closes within any 1 s window, and within any 100 ms window (×10).
  let peak1s = 0;
  let peak100 = 0;
  for (let i = 0, j = 0, k = 0; i < times.length; i++) {
    while (times[i] - times[j] > 1_000) j++;
    while (times[i] - times[k] > 100) k++;
    peak1s = Math.max(peak1s, i - j + 1);
    peak100 = Math.max(peak100, i - k + 1);
  }
  await server.stop();
  return {
    figure: `draining ${connections} connections`,
    options,
    batches: result.batches,
    terminated: result.terminated,
    first_close_ms: round(times[0]),
    median_close_ms: round(percentile(times, 50)),
    last_close_ms: round(times.at(-1)),
    peak_closes_per_s_1s_window: peak1s,
    peak_closes_per_s_100ms_window: peak100 * 10,
  };
}

async function heartbeatFigure(WebSocket, connections, heartbeat, seconds) {
  const server = await startServer({ heartbeat });
  const sockets = await openMany(WebSocket, server.port, connections);
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // settle after the opening burst
  const before = await server.ask({ op: 'cpu' });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  const after = await server.ask({ op: 'cpu' });
  const cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1_000;
  for (const socket of sockets) socket.terminate();
  await server.stop();
  return {
    figure: `server CPU, ${connections} idle connections, heartbeat ${heartbeat === false ? 'off' : `${heartbeat.interval} ms / ${heartbeat.timeout} ms`}`,
    seconds,
    open_at_end: after.open,
    cpu_ms_per_s: round(cpuMs / seconds),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', default: 'revoke,drain,heartbeat' },
      connections: { type: 'string', default: '10000' },
      samples: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '30' },
    },
  });
  const only = new Set(values.only.split(','));
  const connections = Number(values.connections);
  const samples = Number(values.samples);
  const seconds = Number(values.seconds);
  const { default: WebSocket } = await import('ws');
  const print = (figure) => console.log(JSON.stringify(figure));

  if (only.has('revoke')) {
    const local = await startServer({ heartbeat: false });
    print(await revocationLatency(WebSocket, [local], samples, 'in the process that holds the socket'));
    await local.stop();
    const redis = await startRedis();
    const servers = await Promise.all([0, 1, 2, 3].map(() => startServer({ heartbeat: false, redisPort: redis.port })));
    print(await revocationLatency(WebSocket, servers, samples, 'across 4 processes over Redis pub/sub'));
    await Promise.all(servers.map((server) => server.stop()));
    redis.stop();
  }
  if (only.has('drain')) print(await drainFigure(WebSocket, connections));
  if (only.has('heartbeat')) {
    // A 5 s interval puts 6 sweeps in a 30 s window (the default 30 s would put at most one): per sweep and
    // per connection, the cost is the same; scale by interval for other settings.
    print(await heartbeatFigure(WebSocket, connections, false, seconds));
    print(await heartbeatFigure(WebSocket, connections, { interval: 5_000, timeout: 4_000 }, seconds));
  }
}

if (process.argv[2] === '--server') await serve(JSON.parse(process.argv[3]));
else await main();
