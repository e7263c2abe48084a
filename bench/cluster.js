// Cluster-wide admission, measured: N gate processes (default 4), each on its own port, take 10,000 handshakes
// against a per-user quota (quotaPerKey on the hook's context) and a per-IP rate limit, with the limits in one
// Redis (@wsgate/redis) or in each process's memory (not shared: the baseline). Then a process holding 30
// connections is SIGKILLed and the time until its slots come back is measured.
//
//   node bench/cluster.js [--processes 4] [--handshakes 10000] [--warmup 1000] [--concurrency 64]
//                         [--users 1000] [--per-user 2] [--rounds 5] [--lease-ms 3000] [--redis-url URL]
//
// Without --redis-url it starts its own redis-server on a free port (no persistence). Run `pnpm build` first.
// Figures: handshakes/s (median over rounds, the modes alternating); CPU per handshake of the gate processes,
// of redis-server and of this process (the load), which all share the machine's cores; Redis round trips per
// handshake (commands the stores sent, and the top-level commands Redis received); and the leases left once
// every connection closed (must be 0).

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { handshake, load, redisCpuUs, startRedis } from './lib/cluster-load.js';
import { median } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    processes: { type: 'string', default: '4' },
    handshakes: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
    users: { type: 'string', default: '1000' },
    'per-user': { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    'lease-ms': { type: 'string', default: '3000' },
    'redis-url': { type: 'string' },
  },
});
const N = Number(args.processes);
const COUNT = Number(args.handshakes);
const CONCURRENCY = Number(args.concurrency);
const USERS = Number(args.users);
const LEASE_MS = Number(args['lease-ms']);
const workerPath = fileURLToPath(new URL('./lib/cluster-worker.js', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => process.stderr.write(`${line}\n`);
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const redis = args['redis-url'] ? { url: args['redis-url'], stop() {} } : await startRedis();
const inspect = new Redis(redis.url);
const errors = [];

/** A gate process; resolves once it listens. */
async function startWorker(store, prefix, env = {}) {
  const child = fork(workerPath, [], {
    env: { ...process.env, NODE_ENV: 'production', STORE: store, REDIS_URL: redis.url, PREFIX: prefix, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.on('message', (m) => m.type === 'error' && errors.push(`${m.code}: ${m.message}`));
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  return { child, port };
}

const ask = (worker) =>
  new Promise((resolve) => {
    const reply = (m) => {
      if (m.type !== 'stats') return;
      worker.child.off('message', reply);
      resolve(m);
    };
    worker.child.on('message', reply);
    worker.child.send({ type: 'stats' });
  });
const sum = async (workers, field) => (await Promise.all(workers.map(ask))).reduce((n, s) => n + s[field], 0);
/**
 * Commands clients sent Redis, each a round trip. INFO commandstats also counts the commands scripts call
 * (ZADD, ZREM, TIME…), so only the ones the store sends itself are summed: it sends nothing but scripts.
 */
const TOP_LEVEL = ['evalsha', 'eval', 'script'];
const ownCpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
async function roundTrips() {
  const stats = await inspect.info('commandstats');
  return TOP_LEVEL.reduce((n, name) => n + Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0), 0);
}

/** Leases still held, polled until every close reached its gate and its store (at most 10 s). */
async function leasesLeft(mode, workers, prefix) {
  const count = async () => {
    if (mode === 'memory') return sum(workers, 'held');
    const keys = await inspect.keys(`${prefix}lease:*`);
    const held = await Promise.all(keys.map((key) => inspect.zcard(key)));
    return held.reduce((n, h) => n + h, 0);
  };
  for (let i = 0; i < 200; i++) {
    if ((await sum(workers, 'connections')) === 0 && (await count()) === 0) return 0;
    await sleep(50);
  }
  return count();
}

const modes = {};
for (const mode of ['redis', 'memory']) {
  const prefix = `bench:${mode}:`;
  const workers = await Promise.all(
    Array.from({ length: N }, () => startWorker(mode, prefix, { PER_USER: args['per-user'] })),
  );
  modes[mode] = { prefix, workers, ports: workers.map((w) => w.port), rounds: [] };
  await load({ ports: modes[mode].ports, count: Number(args.warmup), concurrency: CONCURRENCY, users: USERS });
  await leasesLeft(mode, workers, prefix);
}
log(
  `${N} processes per mode, ${COUNT} handshakes per round, concurrency ${CONCURRENCY}, ${USERS} users, ${args['per-user']} per user`,
);

for (let round = 0; round < Number(args.rounds); round++) {
  for (const mode of round % 2 === 0 ? ['redis', 'memory'] : ['memory', 'redis']) {
    const { workers, ports, prefix } = modes[mode];
    const [cpu0, sent0, seen0] = [await sum(workers, 'cpuUs'), await sum(workers, 'commands'), await roundTrips()];
    const [redis0, load0] = [await redisCpuUs(inspect), ownCpuUs()];
    const { ms, statuses } = await load({ ports, count: COUNT, concurrency: CONCURRENCY, users: USERS, offset: round });
    const [redis1, load1] = [await redisCpuUs(inspect), ownCpuUs()];
    const [cpu1, sent1, seen1] = [await sum(workers, 'cpuUs'), await sum(workers, 'commands'), await roundTrips()];
    const left = await leasesLeft(mode, workers, prefix);
    const result = {
      perSecond: (COUNT / ms) * 1000,
      cpuUsPerHandshake: (cpu1 - cpu0) / COUNT,
      redisCpuUsPerHandshake: (redis1 - redis0) / COUNT,
      loadCpuUsPerHandshake: (load1 - load0) / COUNT,
      sentPerHandshake: (sent1 - sent0) / COUNT,
      receivedPerHandshake: (seen1 - seen0) / COUNT,
      statuses,
      leasesLeft: left,
    };
    modes[mode].rounds.push(result);
    log(
      `round ${round + 1} ${mode}: ${JSON.stringify(result, (_k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`,
    );
  }
}

const fixed = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const rows = [
  [
    'store',
    'handshakes/s',
    'rounds',
    'server CPU µs/hs',
    'Redis CPU µs/hs',
    'load CPU µs/hs',
    'Redis round trips/hs (sent/received)',
    'refused',
    'leases left',
  ],
];
for (const [mode, { rounds }] of Object.entries(modes)) {
  const m = (field) => median(rounds.map((r) => r[field]));
  const refused = rounds.reduce((n, r) => n + COUNT - (r.statuses[101] ?? 0), 0);
  rows.push([
    mode,
    fixed(m('perSecond')),
    rounds.map((r) => fixed(r.perSecond)).join(' '),
    fixed(m('cpuUsPerHandshake')),
    fixed(m('redisCpuUsPerHandshake')),
    fixed(m('loadCpuUsPerHandshake')),
    `${fixed(m('sentPerHandshake'), 2)} / ${fixed(m('receivedPerHandshake'), 2)}`,
    String(refused),
    rounds.map((r) => r.leasesLeft).join(' '),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log('');
for (const row of rows)
  console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
// Each round ran the two stores back to back: their ratio within a round is steadier than either figure.
const ratios = (field) => modes.redis.rounds.map((r, i) => r[field] / modes.memory.rounds[i][field]);
const ratio = (field) =>
  `${fixed(median(ratios(field)), 2)}× (${ratios(field)
    .map((x) => fixed(x, 2))
    .join(' ')})`;
console.log(
  `redis / memory, median of rounds: handshakes/s ${ratio('perSecond')}, server CPU ${ratio('cpuUsPerHandshake')}`,
);

// Recovery after a SIGKILL: a victim holds 30 connections of one user (limit 30), renewing every LEASE_MS / 3;
// once it is killed, a survivor is asked for that user's connection every 10 ms until one is accepted.
const env = { PER_USER: '30', LEASE_MS: String(LEASE_MS), RENEW_EVERY_MS: String(Math.floor(LEASE_MS / 3)) };
const [survivor, victim] = await Promise.all([
  startWorker('redis', 'bench:kill:', env),
  startWorker('redis', 'bench:kill:', env),
]);
const held = await Promise.all(Array.from({ length: 30 }, () => handshake(victim.port, 'victim', true)));
if (held.some((h) => h.status !== 101)) throw new Error('the victim did not accept its 30 connections');
await sleep(LEASE_MS / 3 + 100); // renewed at least once
victim.child.kill('SIGKILL');
const killedAt = performance.now();
let attempts = 0;
while ((await handshake(survivor.port, 'victim')).status !== 101) {
  attempts++;
  await sleep(10);
}
const recovery = performance.now() - killedAt;
for (const { socket } of held) socket?.destroy();
console.log(
  `\nSIGKILL of a process holding 30 leases (leaseMs ${LEASE_MS}, renewEveryMs ${Math.floor(LEASE_MS / 3)}): ` +
    `first slot back after ${fixed(recovery)} ms (${attempts} refusals before; expected between ` +
    `${LEASE_MS - Math.floor(LEASE_MS / 3)} and ${LEASE_MS} ms)`,
);
if (errors.length > 0)
  console.log(`\nerrors reported by the processes: ${errors.length}\n  ${errors.slice(0, 5).join('\n  ')}`);

for (const child of children) child.kill('SIGKILL');
inspect.disconnect();
redis.stop();
