// The sequential phase: every (concurrency, server) cell in turn, repeated, medians over repetitions.

import { PAIRS, RATIO_CONCURRENCY } from './config.js';
import { elapsed, log } from './log.js';
import { measured } from './servers.js';
import { median, round, spread } from './stats.js';
import { int, ms, us } from './table.js';

/**
 * The order of one repetition: each wsgate server runs right next to the peer it is compared with, so both
 * see the same spell of machine noise; blocks rotate from one repetition to the next, and the two members
 * of a pair swap places every other repetition.
 */
function runOrder(active, rep) {
  const blocks = [];
  const placed = new Set();
  for (const s of active) {
    if (placed.has(s.name)) continue;
    const partner = Object.values(PAIRS)
      .filter(([mine, peer]) => mine !== 'wsgate-core' || peer === 'ws')
      .map(([mine, peer]) => (mine === s.name ? peer : peer === s.name ? mine : null))
      .find((n) => n && !placed.has(n) && active.some((a) => a.name === n));
    const block = [s, ...(partner ? [active.find((a) => a.name === partner)] : [])];
    for (const b of block) placed.add(b.name);
    blocks.push(rep % 2 ? block.reverse() : block);
  }
  return blocks.flatMap((_, i) => blocks[(i + rep) % blocks.length]);
}

/**
 * Runs the repetitions. Returns { runs: Map(`${name}@${c}` -> [cell]), repsDone }; stops repeating when the
 * next repetition would not fit in the budget (leaving `memoryAllowanceMs` for the memory phase).
 */
export async function runSequential(active, loadgen, cfg, notes, memoryAllowanceMs) {
  const runs = new Map();
  let roundMs = 0;
  let repsDone = 0;
  for (let rep = 0; rep < cfg.reps && active.length; rep++) {
    if (rep > 0 && elapsed() + roundMs * 1.15 + memoryAllowanceMs > cfg.budgetMs) {
      notes.push(`stopped after ${rep} rep(s) to stay within the ${cfg.budgetMs / 1000} s budget`);
      log(notes.at(-1));
      break;
    }
    const roundStart = elapsed();
    for (const c of cfg.concurrency) {
      for (const s of runOrder(active, rep)) {
        await loadgen.run(s.port, c, cfg.warmup[c], cfg.cellTimeLimitMs);
        const r = await measured(s, () => loadgen.run(s.port, c, cfg.count[c], cfg.cellTimeLimitMs));
        const cell = {
          handshakesPerSec: r.handshakesPerSec,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
          ok: r.ok,
          failed: r.failed,
          timedOut: r.timedOut,
          errors: r.errors,
          serverCpuUsPerHandshake: r.serverCpuUsPerHandshake,
          gcUsPerHandshake: r.gcUsPerHandshake,
          gcCount: r.gcCount,
          allocBytesPerHandshake: r.allocBytesPerHandshake,
          jitCodeBytes: r.window.jitCodeBytes,
          openAtEnd: r.window.openAtEnd,
        };
        const key = `${s.name}@${c}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key).push(cell);
        log(
          `${s.name} c=${c} rep ${rep + 1}/${cfg.reps}: ${int(r.handshakesPerSec)} hs/s, p50 ${ms(r.p50Ms)} ms, ` +
            `p99 ${ms(r.p99Ms)} ms, CPU ${us(r.serverCpuUsPerHandshake)} us/hs (GC ${us(r.gcUsPerHandshake)})` +
            (r.failed ? `, ${r.failed} failed (${Object.keys(r.errors).join('; ')})` : '') +
            (r.timedOut ? ', hit the time limit' : '') +
            (r.window.openAtEnd ? `, ${r.window.openAtEnd} connection(s) still open at the window's end` : ''),
        );
      }
    }
    roundMs = elapsed() - roundStart;
    repsDone = rep + 1;
  }
  return { runs, repsDone };
}

const per1k = (x) => (x.ok ? (x.gcCount / x.ok) * 1000 : null);

/** One row per (server, concurrency): medians over the repetitions, and every repetition. */
export function summarize(active, concurrency, runs) {
  const results = [];
  for (const s of active) {
    for (const c of concurrency) {
      const cells = runs.get(`${s.name}@${c}`) || [];
      if (!cells.length) continue;
      const med = (f) => median(cells.map(f));
      results.push({
        server: s.name,
        concurrency: c,
        handshakesPerSec: round(
          med((x) => x.handshakesPerSec),
          1,
        ),
        p50Ms: round(med((x) => x.p50Ms)),
        p99Ms: round(med((x) => x.p99Ms)),
        serverCpuUsPerHandshake: round(
          med((x) => x.serverCpuUsPerHandshake),
          1,
        ),
        gcUsPerHandshake: round(
          med((x) => x.gcUsPerHandshake),
          2,
        ),
        gcPer1kHandshakes: round(med(per1k), 1),
        allocBytesPerHandshake: round(
          med((x) => x.allocBytesPerHandshake),
          0,
        ),
        spreadPct: spread(cells.map((x) => x.handshakesPerSec)),
        // Machine code V8 added during this row's measured windows, all repetitions: ~0 once warmed up.
        jitKiB: round(cells.reduce((a, x) => a + (x.jitCodeBytes ?? 0), 0) / 1024, 0),
        failed: cells.reduce((a, x) => a + x.failed, 0),
        timedOut: cells.some((x) => x.timedOut),
        reps: cells.length,
        runs: cells.map((x) => ({
          handshakesPerSec: round(x.handshakesPerSec, 1),
          p50Ms: round(x.p50Ms),
          p99Ms: round(x.p99Ms),
          serverCpuUsPerHandshake: round(x.serverCpuUsPerHandshake, 1),
          gcUsPerHandshake: round(x.gcUsPerHandshake, 2),
          gcCount: x.gcCount,
          allocBytesPerHandshake: round(x.allocBytesPerHandshake, 0),
          ok: x.ok,
          failed: x.failed,
          ...(x.failed ? { errors: x.errors } : {}),
          ...(x.openAtEnd ? { openAtEnd: x.openAtEnd } : {}),
        })),
      });
    }
  }
  return results;
}

/** wsgate / peer within each repetition (the two ran back to back), then the median, for every pair. */
export function pairRatios(runs, field) {
  const out = {};
  for (const [key, [mine, peer]] of Object.entries(PAIRS)) {
    const a = runs.get(`${mine}@${RATIO_CONCURRENCY}`) || [];
    const b = runs.get(`${peer}@${RATIO_CONCURRENCY}`) || [];
    const per = [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i][field] > 0 && b[i][field] > 0) per.push(a[i][field] / b[i][field]);
    }
    out[key] = round(median(per));
  }
  return out;
}
