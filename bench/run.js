// Handshake benchmark runner: every server in its own process, one load generator process, same run.
//
//   node bench/run.js                 full mode (concurrency 1, 64, 512; 10,000 idle connections)
//   node bench/run.js --quick         concurrency 64 only, smaller counts, 2,000 idle connections
//   node bench/run.js --only ws,wsgate-core [--reps N]
//   node bench/run.js --paired [--quick] [--interleave] [--rounds N]   wsgate and its peer live at once
//   node bench/run.js --profile wsgate-express[,express-ws] [--quick]   CPU profile of the measured window
//   add --publish to copy the chart to docs/ and update its caption in the root README
//
// Prints a table on stdout (progress goes to stderr) and writes bench/results/latest.{json,svg} (paired:
// paired.{json,svg}; profile: <server>.cpuprofile and profile.json). See bench/README.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderChart } from './lib/chart.js';
import { pairedChart, sequentialChart } from './lib/chart-data.js';
import { killChildrenOnExit, stop } from './lib/children.js';
import {
  MEMORY_SERVERS,
  MODES,
  OPTIONAL_SERVERS,
  PAIRED_MODES,
  PAIRS,
  PROFILE_MODES,
  RATIO_CONCURRENCY,
  SERVERS,
  WS_PATH,
} from './lib/config.js';
import { elapsed, log } from './lib/log.js';
import { runMemory } from './lib/memory.js';
import { pairedReport, runPaired } from './lib/paired.js';
import { runProfiles } from './lib/profile.js';
import { publish } from './lib/publish.js';
import { sequentialReport } from './lib/report.js';
import { pairRatios, runSequential, summarize } from './lib/sequential.js';
import { benchDir, describe, startAll, startLoadgen } from './lib/servers.js';
import { round } from './lib/stats.js';

/** New machine code per row (all repetitions) past which a server was not warmed up yet. */
const JIT_NOTE_KIB = 64;

const USAGE = `usage: node bench/run.js [--quick] [--only a,b] [--reps N] [--publish]
       node bench/run.js --paired [--quick] [--only a,b] [--interleave] [--rounds N] [--per-window N] [--publish]
       node bench/run.js --profile name[,name] [--quick] [--top N]
servers: ${SERVERS.join(', ')}`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    paired: { type: 'boolean', default: false },
    profile: { type: 'string' },
    only: { type: 'string' },
    reps: { type: 'string' },
    rounds: { type: 'string' },
    'per-window': { type: 'string' },
    interleave: { type: 'boolean', default: false },
    top: { type: 'string' },
    publish: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

/** A comma list of server names, checked against SERVERS; exits with the usage on an unknown one. */
function names(list) {
  const wanted = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = [...SERVERS, ...OPTIONAL_SERVERS];
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length || !wanted.length) {
    console.error(`bench: unknown server(s) ${unknown.join(', ') || '(none given)'}\n${USAGE}`);
    process.exit(2);
  }
  return known.filter((n) => wanted.includes(n));
}

const modeName = args.quick ? 'quick' : 'full';
const kind = args.profile ? 'profile' : args.paired ? 'paired' : 'sequential';
const selected = args.only ? names(args.only) : SERVERS;
const positive = (s) => Math.max(1, Number.parseInt(s, 10) || 1);
const cfg = { ...{ sequential: MODES, paired: PAIRED_MODES, profile: PROFILE_MODES }[kind][modeName] };
if (args.reps) cfg.reps = positive(args.reps);
if (args.rounds) cfg.rounds = positive(args.rounds);
if (args['per-window']) cfg.perWindow = positive(args['per-window']);
if (kind === 'paired') cfg.interleave = args.interleave;

killChildrenOnExit(cfg.watchdogMs);
const resultsDir = path.join(benchDir, 'results');
mkdirSync(resultsDir, { recursive: true });
const rel = (f) => path.relative(process.cwd(), f) || f;
const notes = [];
const loadAtStart = os.loadavg()[0];
const cpus = os.cpus();
if (loadAtStart > 1) {
  notes.push(
    `the machine was busy before the run (1-minute load ${loadAtStart.toFixed(2)} on ${cpus.length} CPUs): expect noise`,
  );
  log(notes.at(-1));
}
const loadgen = startLoadgen();

/** What every JSON starts with. */
const header = () => ({
  machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', node: process.version },
  mode: modeName,
  paired: kind === 'paired',
  date: new Date().toISOString(),
});

/** Where --publish puts each chart (docs/<name>.svg) and the alt text the README gives it. */
const PUBLISHED = {
  latest: {
    name: 'bench',
    alt: 'Bar chart: handshakes/s and server CPU µs per handshake for every server, grouped by app work',
  },
  paired: {
    name: 'bench-paired',
    alt: 'Bar chart: handshakes/s and server CPU µs per handshake, each wsgate server beside its peer in alternating windows',
  },
};

/** Writes the JSON and the chart; with --publish, copies the chart to docs/ and updates the README. */
function write(base, out, chart) {
  const json = path.join(resultsDir, `${base}.json`);
  const svg = path.join(resultsDir, `${base}.svg`);
  writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
  const written = [json];
  if (chart) {
    writeFileSync(svg, renderChart(chart));
    written.push(svg);
  }
  const lines = [`wrote ${written.map(rel).join(', ')}`];
  if (args.publish && chart) lines.push(...publish(svg, PUBLISHED[base].name, out, PUBLISHED[base].alt));
  return lines.join('\n');
}

if (kind === 'profile') {
  const targets = names(args.profile);
  log(`profile (${modeName}): ${targets.join(', ')}, ${cfg.count} handshakes at concurrency ${cfg.concurrency}`);
  const { profiles, text } = await runProfiles(targets, loadgen, cfg, positive(args.top ?? '20'));
  await loadgen.stop();
  const out = { ...header(), config: cfg, profiles, notes, durationMs: elapsed() };
  console.log(text + write('profile', out, null));
} else if (kind === 'paired') {
  const inPairs = new Set(Object.values(PAIRS).flat());
  const wanted = selected.filter((n) => inPairs.has(n));
  log(
    `paired ${modeName} mode: ${cfg.rounds} rounds of ${cfg.perWindow} handshakes per side, concurrency ${cfg.concurrency}`,
  );
  const servers = await startAll(wanted, loadgen, {
    serverWarmup: cfg.serverWarmup,
    timeLimitMs: cfg.windowTimeLimitMs,
  });
  const active = servers.filter((s) => s.status === 'ok');
  const pairs = await runPaired(active, loadgen, cfg);
  if (!pairs.length) notes.push('no pair had both sides running: nothing to compare');
  for (const s of active) await stop(s.child);
  await loadgen.stop();
  const out = {
    ...header(),
    config: { ...cfg, path: WS_PATH, loadAtStart: round(loadAtStart, 2), loadAtEnd: round(os.loadavg()[0], 2) },
    servers: describe(servers),
    pairs,
    notes,
    durationMs: elapsed(),
  };
  console.log(`${pairedReport(out)}\n\n${write('paired', out, pairs.length ? pairedChart(out) : null)}`);
} else {
  log(`${modeName} mode: ${selected.length} server(s), concurrency ${cfg.concurrency.join('/')}, ${cfg.reps} rep(s)`);
  const servers = await startAll(selected, loadgen, {
    serverWarmup: cfg.serverWarmup,
    timeLimitMs: cfg.cellTimeLimitMs,
  });
  const active = servers.filter((s) => s.status === 'ok');
  const throughputStart = elapsed();
  const memoryAllowanceMs = modeName === 'full' ? 15_000 : 6_000;
  const { runs, repsDone } = await runSequential(active, loadgen, cfg, notes, memoryAllowanceMs);
  const throughputPhaseMs = elapsed() - throughputStart;
  for (const s of active) await stop(s.child);
  const memoryNames = MEMORY_SERVERS.filter((n) => selected.includes(n));
  const memory = await runMemory(memoryNames, loadgen, cfg.memoryConnections, notes);
  await loadgen.stop();
  const results = summarize(active, cfg.concurrency, runs);
  const compiling = results.filter((r) => r.jitKiB > JIT_NOTE_KIB).map((r) => `${r.server} (${r.jitKiB} KiB)`);
  if (compiling.length) {
    notes.push(`still compiling in the measured windows: ${compiling.join(', ')}; their CPU includes V8's JIT`);
  }
  const out = {
    ...header(),
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
    servers: describe(servers),
    results,
    ratios: pairRatios(runs, 'handshakesPerSec'),
    cpuRatios: pairRatios(runs, 'serverCpuUsPerHandshake'),
    memory,
    notes,
    throughputPhaseMs,
    durationMs: elapsed(),
  };
  console.log(
    `${sequentialReport(out, servers)}\n\n${write('latest', out, out.results.length ? sequentialChart(out) : null)}`,
  );
}
