// Handshake benchmark runner: every server in its own process, one load generator process, same run.
//
//   node bench/run.js                 full mode (concurrency 1, 64, 512; 10,000 idle connections)
//   node bench/run.js --quick         concurrency 64 only, smaller counts, 2,000 idle connections
//   node bench/run.js --only ws,wsgate-core [--reps N]
//
// Prints a table on stdout (progress goes to stderr) and writes bench/results/latest.json.
// See bench/README.md for what is measured and how.

import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

/** In run order. Peers first, then wsgate. A missing file or a failed import is reported as skipped. */
const SERVERS = [
  'floor',
  'ws',
  'express-ws',
  'koa-easy-ws',
  'fastify-websocket',
  'crossws',
  'wsgate-core',
  'wsgate-express',
  'wsgate-koa',
  'wsgate-fastify',
];

/** ratio name -> [wsgate side, peer side]; handshakes/s at RATIO_CONCURRENCY, wsgate divided by peer. */
const RATIOS = {
  'core/ws': ['wsgate-core', 'ws'],
  'core/floor': ['wsgate-core', 'floor'],
  'express/express-ws': ['wsgate-express', 'express-ws'],
  'koa/koa-easy-ws': ['wsgate-koa', 'koa-easy-ws'],
  'fastify/fastify-websocket': ['wsgate-fastify', 'fastify-websocket'],
};
const RATIO_CONCURRENCY = 64;
const MEMORY_SERVERS = ['ws', 'wsgate-core'];
const WS_PATH = '/ws';

const MODES = {
  full: {
    concurrency: [1, 64, 512],
    count: { 1: 800, 64: 2000, 512: 3000 }, // measured handshakes per cell
    warmup: { 1: 80, 64: 200, 512: 512 }, // per cell, not counted
    serverWarmup: 3000, // once per server at start, concurrency 64, not counted
    reps: 5, // median of these; server order rotated each rep
    cellTimeLimitMs: 20_000,
    budgetMs: 200_000, // later reps are dropped so the run stays under this (pnpm build comes on top)
    memoryConnections: 10_000,
    watchdogMs: 9 * 60_000,
  },
  quick: {
    concurrency: [64],
    count: { 64: 1500 },
    warmup: { 64: 200 },
    serverWarmup: 1000,
    reps: 5,
    cellTimeLimitMs: 8_000,
    budgetMs: 48_000,
    memoryConnections: 2_000,
    watchdogMs: 3 * 60_000,
  },
};

// ---------------------------------------------------------------- children: tracked, always killed

const children = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(t);
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping`);
    killAll();
    process.exit(130);
  });
}
for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (err) => {
    console.error(`bench: ${err?.stack || err}`);
    killAll();
    process.exit(1);
  });
}

/** Request/response over a child's IPC channel, matched by id; rejects on exit or timeout. */
let nextId = 1;
function request(child, msg, replyType, timeoutMs) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.removeListener('message', onMessage);
      child.removeListener('exit', onExit);
    };
    const onMessage = (m) => {
      if (!m || m.id !== id) return;
      cleanup();
      if (m.type === replyType) resolve(m);
      else reject(new Error(m.error || `unexpected reply ${m.type}`));
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`process exited (${code ?? signal}) during ${msg.type}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${replyType} reply within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ ...msg, id });
  });
}

// ---------------------------------------------------------------- servers

/** The one line of a crash that says why, without our absolute paths. */
function why(stderr) {
  const text = stderr.replaceAll(`${benchDir}${path.sep}`, '');
  const pkg = /Cannot find (?:package|module) '([^']+)'/.exec(text);
  if (pkg) {
    const name = pkg[1].includes('node_modules') ? pkg[1].split('node_modules/').pop() : pkg[1];
    return `cannot import ${name}${name.includes('/dist/') ? ' (not built: run pnpm build)' : ''}`;
  }
  const lines = text.split('\n').map((l) => l.trim());
  const err = lines.find((l) => /^(\w*Error|Error)\b/.test(l) || /^\w*Error \[/.test(l));
  const line = err || lines.filter(Boolean).pop() || 'no output';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

async function startServer(name) {
  const file = path.join(benchDir, 'servers', `${name}.js`);
  if (!existsSync(file)) return { name, status: 'skipped', reason: `no file servers/${name}.js` };
  const child = track(
    fork(file, [], {
      cwd: benchDir,
      execArgv: ['--expose-gc'],
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-16_384);
  });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('did not report a port within 20 s')), 20_000);
      const done = (port) => {
        clearTimeout(timer);
        resolve(port);
      };
      child.on('message', (m) => {
        if (m?.type === 'listening' && Number.isInteger(m.port)) done(m.port);
      });
      child.stdout.on('data', (d) => {
        out += d;
        let nl = out.indexOf('\n');
        while (nl !== -1) {
          const line = out.slice(0, nl).trim();
          out = out.slice(nl + 1);
          nl = out.indexOf('\n');
          if (!line.startsWith('{')) continue;
          try {
            const obj = JSON.parse(line);
            if (Number.isInteger(obj.port)) done(obj.port);
          } catch {}
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // Let the last stderr bytes arrive before quoting them.
        setImmediate(() => reject(new Error(why(stderr) + (code ? '' : ` (exit ${code ?? signal})`))));
      });
    });
    return { name, status: 'ok', port, child, stderr: () => stderr };
  } catch (err) {
    await stop(child);
    return { name, status: 'skipped', reason: err.message };
  }
}

/**
 * CPU seconds the process has used so far, all threads: the sum of /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds on a CPU), or user + system ticks from /proc/<pid>/stat; null off Linux.
 */
let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {}
function cpuSeconds(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {} // a thread that just ended
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  } catch {}
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clkTck;
  } catch {
    return null;
  }
}

function fdLimit() {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {}
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
  } catch {}
  return null;
}

// ---------------------------------------------------------------- formatting

const t0 = Date.now();
const loadAtStart = os.loadavg()[0];
const elapsed = () => Date.now() - t0;
function log(s) {
  process.stderr.write(`[${(elapsed() / 1000).toFixed(1).padStart(6)}s] ${s}\n`);
}
const int = (n) => (n == null ? '-' : Math.round(n).toLocaleString('en-US'));
const ms = (n) => (n == null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const kib = (b) => (b == null ? '-' : `${(b / 1024).toFixed(2)} KiB`);
const round = (n, d = 3) => (n == null ? null : Math.round(n * 10 ** d) / 10 ** d);

function median(xs) {
  const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** (max - min) / median of the reps, in percent: how noisy the cell was. */
function spread(xs) {
  const v = xs.filter((x) => x != null && Number.isFinite(x));
  const m = median(v);
  return v.length > 1 && m ? round(((Math.max(...v) - Math.min(...v)) / m) * 100, 0) : null;
}

function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) =>
    r
      .map((c, i) => (align[i] === 'l' ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

// ---------------------------------------------------------------- main

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    reps: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node bench/run.js [--quick] [--only name1,name2] [--reps N]');
  console.log(`servers: ${SERVERS.join(', ')}`);
  process.exit(0);
}
const modeName = args.quick ? 'quick' : 'full';
const notes = [];
const cfg = { ...MODES[modeName] };
if (args.reps) cfg.reps = Math.max(1, Number.parseInt(args.reps, 10) || 1);
let selected = SERVERS;
if (args.only) {
  const wanted = args.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((n) => !SERVERS.includes(n));
  if (unknown.length) {
    console.error(`bench: unknown server(s) ${unknown.join(', ')}; known: ${SERVERS.join(', ')}`);
    process.exit(2);
  }
  selected = SERVERS.filter((n) => wanted.includes(n));
}

setTimeout(() => {
  console.error(`bench: watchdog: still running after ${cfg.watchdogMs / 1000} s, giving up`);
  killAll();
  process.exit(1);
}, cfg.watchdogMs).unref();

const loadgen = track(
  fork(path.join(benchDir, 'loadgen.js'), [], { cwd: benchDir, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
);
const lg = (msg, replyType, timeoutMs) => request(loadgen, msg, replyType, timeoutMs);
const runLoad = (port, concurrency, count, timeLimitMs) =>
  lg({ type: 'run', port, path: WS_PATH, concurrency, count, warmup: 0, timeLimitMs }, 'result', timeLimitMs + 30_000);

if (loadAtStart > 1) {
  notes.push(
    `the machine was busy before the run (1-minute load ${loadAtStart.toFixed(2)} on ${os.cpus().length} CPUs): expect noise`,
  );
  log(notes.at(-1));
}
log(`${modeName} mode: ${selected.length} server(s), concurrency ${cfg.concurrency.join('/')}, ${cfg.reps} rep(s)`);

// --- start every server, check it completes our handshake, warm it up
const servers = [];
for (const name of selected) {
  const s = await startServer(name);
  if (s.status === 'ok') {
    const probe = await runLoad(s.port, 1, 20, 10_000);
    if (probe.ok === 0) {
      s.status = 'failed';
      s.reason = `rejects the bench handshake: ${Object.keys(probe.errors)[0] || 'no response'}`;
      await stop(s.child);
    } else {
      if (probe.failed) s.warning = `probe: ${probe.failed}/20 failed (${Object.keys(probe.errors).join('; ')})`;
      await runLoad(s.port, 64, cfg.serverWarmup, cfg.cellTimeLimitMs);
    }
  }
  log(
    `${name}: ${s.status === 'ok' ? `listening on 127.0.0.1:${s.port}` : `${s.status} (${s.reason})`}${s.warning ? ` [${s.warning}]` : ''}`,
  );
  servers.push(s);
}
const active = servers.filter((s) => s.status === 'ok');

/**
 * The order of one repetition: each wsgate server runs right next to the peer it is compared with, so both
 * see the same spell of machine noise; blocks rotate from one repetition to the next, and the two members
 * of a pair swap places every other repetition.
 */
function runOrder(rep) {
  const blocks = [];
  const placed = new Set();
  for (const s of active) {
    if (placed.has(s.name)) continue;
    const partner = Object.values(RATIOS)
      .filter(([mine, peer]) => mine !== 'wsgate-core' || peer === 'ws')
      .map(([mine, peer]) => (mine === s.name ? peer : peer === s.name ? mine : null))
      .find((n) => n && !placed.has(n) && active.some((a) => a.name === n));
    const block = [s, ...(partner ? [active.find((a) => a.name === partner)] : [])];
    for (const b of block) placed.add(b.name);
    blocks.push(rep % 2 ? block.reverse() : block);
  }
  return blocks.flatMap((_, i) => blocks[(i + rep) % blocks.length]);
}

// --- throughput/latency: rounds of (concurrency x server), server order rotated each round
const runs = new Map(); // `${name}@${c}` -> [cell]
const throughputStart = elapsed();
let roundMs = 0;
let repsDone = 0;
for (let rep = 0; rep < cfg.reps && active.length; rep++) {
  if (rep > 0) {
    const memoryAllowance = modeName === 'full' ? 15_000 : 6_000;
    if (elapsed() + roundMs * 1.15 + memoryAllowance > cfg.budgetMs) {
      notes.push(`stopped after ${rep} rep(s) to stay within the ${cfg.budgetMs / 1000} s budget`);
      log(notes.at(-1));
      break;
    }
  }
  const roundStart = elapsed();
  const order = runOrder(rep);
  for (const c of cfg.concurrency) {
    for (const s of order) {
      await runLoad(s.port, c, cfg.warmup[c], cfg.cellTimeLimitMs);
      const cpu0 = cpuSeconds(s.child.pid);
      const r = await runLoad(s.port, c, cfg.count[c], cfg.cellTimeLimitMs);
      const cpu1 = cpuSeconds(s.child.pid);
      const cell = {
        handshakesPerSec: r.handshakesPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        ok: r.ok,
        failed: r.failed,
        timedOut: r.timedOut,
        errors: r.errors,
        serverCpuUsPerHandshake: cpu0 != null && cpu1 != null && r.ok ? ((cpu1 - cpu0) * 1e6) / r.ok : null,
      };
      const key = `${s.name}@${c}`;
      if (!runs.has(key)) runs.set(key, []);
      runs.get(key).push(cell);
      log(
        `${s.name} c=${c} rep ${rep + 1}/${cfg.reps}: ${int(r.handshakesPerSec)} hs/s, p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms` +
          (r.failed ? `, ${r.failed} failed (${Object.keys(r.errors).join('; ')})` : '') +
          (r.timedOut ? ', hit the time limit' : ''),
      );
    }
  }
  roundMs = elapsed() - roundStart;
  repsDone = rep + 1;
}
const throughputMs = elapsed() - throughputStart;
for (const s of active) await stop(s.child);

const results = [];
for (const s of active) {
  for (const c of cfg.concurrency) {
    const cells = runs.get(`${s.name}@${c}`) || [];
    if (!cells.length) continue;
    results.push({
      server: s.name,
      concurrency: c,
      handshakesPerSec: round(median(cells.map((x) => x.handshakesPerSec)), 1),
      p50Ms: round(median(cells.map((x) => x.p50Ms))),
      p99Ms: round(median(cells.map((x) => x.p99Ms))),
      serverCpuUsPerHandshake: round(median(cells.map((x) => x.serverCpuUsPerHandshake)), 1),
      spreadPct: spread(cells.map((x) => x.handshakesPerSec)),
      failed: cells.reduce((a, x) => a + x.failed, 0),
      timedOut: cells.some((x) => x.timedOut),
      reps: cells.length,
      runs: cells.map((x) => ({
        handshakesPerSec: round(x.handshakesPerSec, 1),
        p50Ms: round(x.p50Ms),
        p99Ms: round(x.p99Ms),
        serverCpuUsPerHandshake: round(x.serverCpuUsPerHandshake, 1),
        ok: x.ok,
        failed: x.failed,
        ...(x.failed ? { errors: x.errors } : {}),
      })),
    });
  }
}

// Ratios are paired: wsgate / peer within each repetition (the two ran back to back), then the median.
const ratios = {};
const cpuRatios = {};
function pairedRatio(mine, peer, field) {
  const a = runs.get(`${mine}@${RATIO_CONCURRENCY}`) || [];
  const b = runs.get(`${peer}@${RATIO_CONCURRENCY}`) || [];
  const per = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i][field] > 0 && b[i][field] > 0) per.push(a[i][field] / b[i][field]);
  }
  return round(median(per));
}
for (const [key, [mine, peer]] of Object.entries(RATIOS)) {
  ratios[key] = pairedRatio(mine, peer, 'handshakesPerSec');
  cpuRatios[key] = pairedRatio(mine, peer, 'serverCpuUsPerHandshake');
}

// --- memory: N idle connections against a fresh server process, measured inside it after forced GC
const memory = { connections: cfg.memoryConnections, servers: {} };
const memoryNames = MEMORY_SERVERS.filter((n) => selected.includes(n));
if (memoryNames.length) {
  let n = cfg.memoryConnections;
  const limit = fdLimit();
  if (limit != null && limit - 256 < n) {
    n = Math.max(0, limit - 256);
    const msg = `ulimit -n is ${limit}: holding ${n} instead of ${cfg.memoryConnections} connections (raise it with 'ulimit -n ${cfg.memoryConnections + 1024}' in the shell that runs the bench)`;
    notes.push(msg);
    log(msg);
  }
  memory.connections = n;
  for (const name of memoryNames) {
    if (n < 100) {
      memory.servers[name] = { skipped: 'too few file descriptors' };
      continue;
    }
    const s = await startServer(name);
    if (s.status !== 'ok') {
      memory.servers[name] = { skipped: s.reason };
      log(`memory ${name}: skipped (${s.reason})`);
      continue;
    }
    try {
      const warm = await runLoad(s.port, 64, 500, 10_000);
      if (warm.ok === 0) throw new Error(`rejects the bench handshake: ${Object.keys(warm.errors)[0]}`);
      await new Promise((r) => setTimeout(r, 300));
      const before = await request(s.child, { type: 'memory' }, 'memory', 10_000);
      const held = await lg(
        { type: 'hold', port: s.port, path: WS_PATH, concurrency: 128, count: n, timeLimitMs: 60_000 },
        'held',
        90_000,
      );
      const after = await request(s.child, { type: 'memory' }, 'memory', 10_000);
      await lg({ type: 'release' }, 'released', 30_000);
      const per = (k) => (held.ok ? (after[k] - before[k]) / held.ok : null);
      memory.servers[name] = {
        held: held.ok,
        failed: held.failed,
        openAtMeasure: held.open,
        serverConnections: after.connections,
        gc: after.gc,
        before: { rss: before.rss, heapUsed: before.heapUsed, external: before.external },
        after: { rss: after.rss, heapUsed: after.heapUsed, external: after.external },
        rssPerConnBytes: round(per('rss'), 0),
        heapUsedPerConnBytes: round(per('heapUsed'), 0),
        externalPerConnBytes: round(per('external'), 0),
      };
      log(
        `memory ${name}: ${held.ok} held (${held.failed} failed), ${kib(per('rss'))} rss and ${kib(per('heapUsed'))} heap per connection`,
      );
    } catch (err) {
      memory.servers[name] = { skipped: err.message };
      log(`memory ${name}: failed (${err.message})`);
    } finally {
      await stop(s.child);
    }
  }
  const a = memory.servers['wsgate-core'];
  const b = memory.servers.ws;
  memory.ratios = {
    'core/ws rss': a?.rssPerConnBytes && b?.rssPerConnBytes ? round(a.rssPerConnBytes / b.rssPerConnBytes) : null,
    'core/ws heapUsed':
      a?.heapUsedPerConnBytes && b?.heapUsedPerConnBytes
        ? round(a.heapUsedPerConnBytes / b.heapUsedPerConnBytes)
        : null,
  };
}

await stop(loadgen);

// ---------------------------------------------------------------- report

const cpus = os.cpus();
const out = {
  machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', node: process.version },
  mode: modeName,
  date: new Date().toISOString(),
  config: {
    concurrency: cfg.concurrency,
    count: cfg.count,
    warmup: cfg.warmup,
    serverWarmup: cfg.serverWarmup,
    repsPlanned: cfg.reps,
    repsDone,
    path: WS_PATH,
    ratioConcurrency: RATIO_CONCURRENCY,
    loadAtStart: round(loadAtStart, 2),
    loadAtEnd: round(os.loadavg()[0], 2),
  },
  servers: servers.map((s) => ({
    name: s.name,
    status: s.status,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.warning ? { warning: s.warning } : {}),
  })),
  results,
  ratios,
  cpuRatios,
  memory,
  notes,
  throughputPhaseMs: throughputMs,
  durationMs: elapsed(),
};
mkdirSync(path.join(benchDir, 'results'), { recursive: true });
writeFileSync(path.join(benchDir, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);

const lines = [];
lines.push(
  `wsgate handshake bench: ${modeName} mode, node ${process.version}, ${cpus.length} x ${out.machine.model}, ` +
    `median of ${repsDone} rep(s), ${(elapsed() / 1000).toFixed(0)} s`,
);
lines.push('');
lines.push(
  table(
    ['server', 'conc', 'handshakes/s', 'spread', 'p50 ms', 'p99 ms', 'server CPU us/hs', 'failed'],
    results.map((r) => [
      r.server,
      r.concurrency,
      int(r.handshakesPerSec),
      r.spreadPct == null ? '-' : `${r.spreadPct}%`,
      ms(r.p50Ms),
      ms(r.p99Ms),
      int(r.serverCpuUsPerHandshake),
      r.failed + (r.timedOut ? ' (time limit)' : ''),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  ),
);
const notOk = servers.filter((s) => s.status !== 'ok');
if (notOk.length) {
  lines.push('');
  for (const s of notOk) lines.push(`${s.name}: ${s.status} (${s.reason})`);
}
lines.push('');
lines.push(
  `ratios at concurrency ${RATIO_CONCURRENCY} (wsgate / peer; handshakes/s: >1 = wsgate faster; server CPU: <1 = wsgate cheaper)`,
);
lines.push(
  table(
    ['ratio', 'handshakes/s', 'server CPU'],
    Object.keys(RATIOS).map((k) => [k, ratios[k] ?? 'n/a', cpuRatios[k] ?? 'n/a']),
    ['l', 'r', 'r'],
  ),
);
if (memoryNames.length) {
  lines.push('');
  lines.push(`memory: ${memory.connections.toLocaleString('en-US')} idle connections, after forced GC, per connection`);
  lines.push(
    table(
      ['server', 'held', 'rss/conn', 'heapUsed/conn', 'external/conn'],
      memoryNames.map((n) => {
        const m = memory.servers[n];
        return m.skipped
          ? [n, 'skipped', '-', '-', '-']
          : [n, m.held, kib(m.rssPerConnBytes), kib(m.heapUsedPerConnBytes), kib(m.externalPerConnBytes)];
      }),
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  for (const n of memoryNames) {
    if (memory.servers[n].skipped) lines.push(`${n}: memory skipped (${memory.servers[n].skipped})`);
  }
}
for (const note of notes) lines.push(`note: ${note}`);
lines.push('');
lines.push(
  `wrote ${path.relative(process.cwd(), path.join(benchDir, 'results', 'latest.json')) || 'results/latest.json'}`,
);
console.log(lines.join('\n'));
