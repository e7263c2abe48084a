// Paired mode: the two servers of a pair live at the same time, and the load generator alternates between
// them in short windows, each server's CPU read (inside it) for its own windows only.
//
// Why: on a shared machine the CPU that a handshake costs a server moves with what else is running (cache
// and frequency contention, the generator's own share). Two windows taken a few hundred milliseconds apart
// see nearly the same machine, so the ratio of the two is far steadier than either figure, and far steadier
// than ratios of figures taken many seconds apart. Every round gives one ratio; we report their median and
// spread.

import { PAIRS } from './config.js';
import { log } from './log.js';
import { measured, measuredTogether } from './servers.js';
import { round, summary } from './stats.js';
import { int, range, ratio, table, us } from './table.js';

/** The pairs whose two sides are both running, in PAIRS order. */
export function activePairs(active) {
  const byName = new Map(active.map((s) => [s.name, s]));
  return Object.entries(PAIRS)
    .filter(([, [mine, peer]]) => byName.has(mine) && byName.has(peer))
    .map(([name, [mine, peer]]) => ({ name, mine: byName.get(mine), peer: byName.get(peer) }));
}

/** The figures of one side's window that the summary and the JSON keep. */
const figures = (r) => ({
  handshakesPerSec: r.handshakesPerSec ?? null,
  p50Ms: r.p50Ms,
  cpuUs: r.serverCpuUsPerHandshake,
  userUs: r.userUsPerHandshake,
  gcUs: r.gcUsPerHandshake,
  gcCount: r.gcCount,
  allocBytes: r.allocBytesPerHandshake,
  ok: r.ok,
  failed: r.failed,
  ...(r.failed && r.errors ? { errors: r.errors } : {}),
});

const window = async (server, loadgen, cfg) =>
  figures(
    await measured(server, () => loadgen.run(server.port, cfg.concurrency, cfg.perWindow, cfg.windowTimeLimitMs)),
  );

/** One window for both sides, the generator alternating handshake by handshake (--interleave). */
async function together(pair, loadgen, cfg) {
  const run = (ports) => loadgen.run(ports, cfg.concurrency, cfg.perWindow * 2, cfg.windowTimeLimitMs);
  // Equal counts by construction, so each side's rate would only echo the other's: not reported.
  const [mine, peer] = await measuredTogether([pair.mine, pair.peer], run);
  return [figures({ ...mine, handshakesPerSec: null }), figures({ ...peer, handshakesPerSec: null })];
}

/**
 * The rounds of one pair; returns each side's windows, round by round. A round is two windows, ABBA ABBA
 * ..., or with --interleave a single window shared by both sides.
 */
async function runPair(pair, loadgen, cfg) {
  // Both sides warm again right before their rounds: they may have idled through other pairs' rounds.
  for (const s of [pair.mine, pair.peer]) {
    await loadgen.run(s.port, cfg.concurrency, cfg.perWindow * 2, cfg.windowTimeLimitMs);
  }
  const mine = [];
  const peer = [];
  for (let r = 0; r < cfg.rounds; r++) {
    if (cfg.interleave) {
      const [a, b] = await together(pair, loadgen, cfg);
      mine.push(a);
      peer.push(b);
    } else if (r % 2 === 0) {
      mine.push(await window(pair.mine, loadgen, cfg));
      peer.push(await window(pair.peer, loadgen, cfg));
    } else {
      peer.push(await window(pair.peer, loadgen, cfg));
      mine.push(await window(pair.mine, loadgen, cfg));
    }
  }
  return { mine, peer };
}

/**
 * One side's figures over its windows. CPU, allocation and rate are medians (with quartiles) of the
 * per-window values; GC is pooled over all windows (total pause / total handshakes), because a window of
 * a few hundred handshakes holds zero, one or two collections and a median of that says little.
 */
function side(windows) {
  const ok = windows.reduce((a, w) => a + w.ok, 0);
  const sum = (f) => windows.reduce((a, w) => a + (f(w) ?? 0), 0);
  return {
    cpuUsPerHandshake: summary(
      windows.map((w) => w.cpuUs),
      1,
    ),
    allocBytesPerHandshake: summary(
      windows.map((w) => w.allocBytes),
      0,
    ),
    p50Ms: summary(
      windows.map((w) => w.p50Ms),
      2,
    ),
    handshakesPerSec: summary(
      windows.map((w) => w.handshakesPerSec),
      0,
    ),
    gcUsPerHandshake: ok ? round(sum((w) => w.gcUs * w.ok) / ok, 2) : null,
    gcPer1kHandshakes: ok ? round((sum((w) => w.gcCount) / ok) * 1000, 1) : null,
    handshakes: ok,
    failed: sum((w) => w.failed),
  };
}

const kib = (b) => (b == null ? '-' : (b / 1024).toFixed(1));

/** A window for the JSON: figures rounded to what they can tell. */
const compact = (w) => ({
  ...w,
  cpuUs: round(w.cpuUs, 1),
  userUs: round(w.userUs, 1),
  gcUs: round(w.gcUs, 2),
  allocBytes: round(w.allocBytes, 0),
  handshakesPerSec: round(w.handshakesPerSec, 0),
});

/** Runs every active pair in turn. Returns one summary per pair, with every window kept. */
export async function runPaired(active, loadgen, cfg) {
  const pairs = [];
  for (const pair of activePairs(active)) {
    const { mine, peer } = await runPair(pair, loadgen, cfg);
    const ratios = (f) => mine.map((w, i) => (f(w) > 0 && f(peer[i]) > 0 ? f(w) / f(peer[i]) : null));
    const result = {
      pair: pair.name,
      wsgate: pair.mine.name,
      peer: pair.peer.name,
      rounds: mine.length,
      cpuRatio: summary(ratios((w) => w.cpuUs)),
      handshakesPerSecRatio: summary(ratios((w) => w.handshakesPerSec)),
      wsgateSide: side(mine),
      peerSide: side(peer),
      windows: mine.map((w, i) => ({
        round: i,
        ...(cfg.interleave ? {} : { wsgateFirst: i % 2 === 0 }),
        wsgate: compact(w),
        peer: compact(peer[i]),
      })),
    };
    pairs.push(result);
    log(
      `${pair.name}: CPU ${us(result.wsgateSide.cpuUsPerHandshake.median)} vs ${us(result.peerSide.cpuUsPerHandshake.median)} us/hs, ` +
        `ratio ${ratio(result.cpuRatio.median)} (95% CI ${range(...(result.cpuRatio.ci95 || []))}), ` +
        `hs/s ratio ${ratio(result.handshakesPerSecRatio.median)}`,
    );
  }
  return pairs;
}

export function pairedReport(out) {
  const c = out.config;
  const lines = [];
  lines.push(
    `wsgate handshake bench, paired: ${out.mode} mode, node ${out.machine.node}, ${out.machine.cpus} x ${out.machine.model}, ` +
      `${c.rounds} rounds of ${int(c.perWindow)} handshakes per side at concurrency ${c.concurrency}` +
      `${c.interleave ? ', interleaved handshake by handshake' : ', ABBA windows'}, ${(out.durationMs / 1000).toFixed(0)} s`,
  );
  lines.push('');
  lines.push(
    'us/hs: server CPU per handshake, median over windows. ratio: wsgate / peer in each round (CPU <1 = wsgate cheaper;\n' +
      'hs/s >1 = wsgate faster), median over rounds, its 95 % confidence interval, and the IQR of the rounds',
  );
  lines.push(
    table(
      [
        'pair',
        'wsgate us/hs',
        'peer us/hs',
        'CPU ratio',
        '95% CI',
        'IQR',
        'GC us/hs w/p',
        'alloc KiB/hs w/p',
        'hs/s ratio',
        '95% CI',
        'failed',
      ],
      out.pairs.map((p) => [
        p.pair,
        us(p.wsgateSide.cpuUsPerHandshake.median),
        us(p.peerSide.cpuUsPerHandshake.median),
        ratio(p.cpuRatio.median),
        range(...(p.cpuRatio.ci95 || [])),
        range(p.cpuRatio.q1, p.cpuRatio.q3),
        `${us(p.wsgateSide.gcUsPerHandshake)} / ${us(p.peerSide.gcUsPerHandshake)}`,
        `${kib(p.wsgateSide.allocBytesPerHandshake.median)} / ${kib(p.peerSide.allocBytesPerHandshake.median)}`,
        ratio(p.handshakesPerSecRatio.median),
        range(...(p.handshakesPerSecRatio.ci95 || [])),
        p.wsgateSide.failed + p.peerSide.failed,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const notOk = out.servers.filter((s) => s.status !== 'ok');
  if (notOk.length) {
    lines.push('');
    for (const s of notOk) lines.push(`${s.name}: ${s.status} (${s.reason})`);
  }
  for (const note of out.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
