// WebSocket handshakes over TLS: HTTP/2 extended CONNECT (RFC 8441) against HTTP/1.1 upgrades, on one
// @wsgate/core server (node:http2 with allowHTTP1, servers/wsgate-core-tls.js), the load generator in its own
// process (lib/tls-loadgen.js), as bench/run.js does for plain TCP.
//
//   pnpm bench:tls                         pnpm build, then the full run
//   node bench/tls.js [--quick] [--reps N] [--count N] [--concurrency N]
//
// Modes (see lib/tls-loadgen.js): h1 and h2-new pay a TLS handshake per WebSocket; h2-worker and h2-shared
// open streams on connections made before the clock starts. Each repetition runs every mode once, in a
// rotating order; the server's CPU time is read over IPC around each run, once the gate holds nothing.
// Medians with a distribution-free 95 % interval (lib/stats.js). Table on stdout, progress on stderr,
// everything in bench/results/tls.json.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { selfSignedCredentials } from '../examples/chat-page/tls.js';
import { killChildrenOnExit, stop, track } from './lib/children.js';
import { log } from './lib/log.js';
import { median, medianCi95, round } from './lib/stats.js';

const MODES = {
  h1: 'HTTP/1.1 upgrade, new TLS connection each',
  'h2-new': 'HTTP/2 CONNECT, new TLS connection each',
  'h2-worker': 'HTTP/2 CONNECT, a stream on the worker’s connection',
  'h2-shared': 'HTTP/2 CONNECT, a stream on one shared connection',
};

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    count: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const reps = Number(args.reps ?? (args.quick ? 3 : 7));
const count = Number(args.count ?? (args.quick ? 1_000 : 3_000));
const concurrency = Number(args.concurrency ?? 64);
const warmup = Math.min(count, 1_000);
const benchDir = path.dirname(new URL(import.meta.url).pathname);

killChildrenOnExit(9 * 60_000);

let nextId = 0;
function request(child, message, reply) {
  const id = ++nextId;
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg?.type !== reply || (msg.id !== undefined && msg.id !== id)) return;
      child.off('message', onMessage);
      resolve(msg);
    };
    child.on('message', onMessage);
    child.send({ ...message, id });
  });
}

/** The server's figures once its gate holds nothing from the run (every socket closed), or after 5 s. */
async function quietStats(server) {
  const until = Date.now() + 5_000;
  for (;;) {
    const stats = await request(server, { type: 'stats' }, 'stats');
    if ((stats.connections === 0 && stats.pending === 0) || Date.now() > until) return stats;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

log('making a self-signed EC certificate');
const credentials = await selfSignedCredentials();
const server = track(
  fork(path.join(benchDir, 'servers/wsgate-core-tls.js'), [], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TLS_KEY_PEM: credentials.key, TLS_CERT_PEM: credentials.cert },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  }),
);
const { port } = await new Promise((resolve) =>
  server.on('message', (msg) => msg?.type === 'listening' && resolve(msg)),
);
const loadgen = track(
  fork(path.join(benchDir, 'lib/tls-loadgen.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
);
log(`server on ${port}; ${reps} repetitions of ${count} handshakes per mode, concurrency ${concurrency}`);

const modes = Object.keys(MODES);
/** One run of `mode`: its connections prepared first, the server's CPU read around the run only. */
async function measure(mode, handshakes) {
  const prepared = await request(loadgen, { type: 'prepare', mode, port, concurrency }, 'prepared');
  if (prepared.error) throw new Error(`${mode}: ${prepared.error}`);
  const before = await quietStats(server);
  const result = await request(loadgen, { type: 'run', mode, port, concurrency, count: handshakes }, 'result');
  const after = await quietStats(server);
  await request(loadgen, { type: 'release' }, 'released');
  if (result.error) throw new Error(`${mode}: ${result.error}`);
  return { ...result, cpuUsPerHandshake: result.ok > 0 ? (after.cpuUs - before.cpuUs) / result.ok : null };
}

for (const mode of modes) {
  const result = await measure(mode, warmup);
  if (result.failed > 0) throw new Error(`warm-up ${mode}: ${JSON.stringify(result.errors)}`);
}

const runs = Object.fromEntries(modes.map((mode) => [mode, []]));
for (let rep = 0; rep < reps; rep++) {
  for (let i = 0; i < modes.length; i++) {
    const mode = modes[(rep + i) % modes.length];
    const result = await measure(mode, count);
    const { cpuUsPerHandshake } = result;
    runs[mode].push(result);
    log(
      `rep ${rep + 1} ${mode}: ${Math.round(result.handshakesPerSec)}/s, ${round(cpuUsPerHandshake, 0)} µs CPU each, ${result.failed} failed`,
    );
  }
}
await stop(loadgen);
await stop(server);

const rows = modes.map((mode) => {
  const list = runs[mode];
  const of = (key) => list.map((run) => run[key]);
  const ci = medianCi95(of('handshakesPerSec'));
  return {
    mode,
    description: MODES[mode],
    handshakesPerSec: round(median(of('handshakesPerSec')), 0),
    ci95: ci?.map((x) => round(x, 0)) ?? null,
    p50Ms: round(median(of('p50Ms')), 2),
    p99Ms: round(median(of('p99Ms')), 2),
    serverCpuUsPerHandshake: round(median(of('cpuUsPerHandshake')), 0),
    failed: of('failed').reduce((a, b) => a + b, 0),
    runs: list,
  };
});

const table = [
  '| mode | handshakes/s (median, 95 % CI) | p50 ms | p99 ms | server CPU µs / handshake | failed |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.description} | ${r.handshakesPerSec} [${r.ci95?.join('–') ?? 'n/a'}] | ${r.p50Ms} | ${r.p99Ms} | ${r.serverCpuUsPerHandshake} | ${r.failed} |`,
  ),
];
const h1 = rows.find((r) => r.mode === 'h1');
const notes = rows
  .filter((r) => r.mode !== 'h1')
  .map((r) => `${r.mode}: ${round(r.handshakesPerSec / h1.handshakesPerSec, 2)}× the HTTP/1.1 rate`);
console.log(`${table.join('\n')}\n\n${notes.join('; ')}`);
console.log(
  `(Node ${process.version}, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
);

mkdirSync(path.join(benchDir, 'results'), { recursive: true });
writeFileSync(
  path.join(benchDir, 'results/tls.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, reps, count, concurrency, rows }, null, 2)}\n`,
);
process.exit(0);
