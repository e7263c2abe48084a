// From a run's JSON to the chart's model (chart.js): which servers sit together, what the bars, whiskers
// and notes say. Kept apart from the drawing so each mode only decides what to show.

import { RATIO_CONCURRENCY } from './config.js';
import { quantile } from './stats.js';

/** Sequential mode's groups: each wsgate server with the peers doing the same app work. */
const GROUPS = [
  {
    label: 'node:http, no app work',
    servers: ['wsgate-core', 'ws', 'crossws', 'floor'],
    pairs: ['core/ws', 'core/floor'],
  },
  {
    label: 'Express: cookie-parser + auth middleware',
    servers: ['wsgate-express', 'express-ws'],
    pairs: ['express/express-ws'],
  },
  { label: 'Koa: cookie check in middleware', servers: ['wsgate-koa', 'koa-easy-ws'], pairs: ['koa/koa-easy-ws'] },
  {
    label: 'Fastify: @fastify/cookie + preValidation hook',
    servers: ['wsgate-fastify', 'fastify-websocket'],
    pairs: ['fastify/fastify-websocket'],
  },
];

const kindOf = (name) => (name.startsWith('wsgate-') ? 'wsgate' : name === 'floor' ? 'floor' : 'peer');
const ci = (r) => (r.ci95 ? ` (95% CI ${r.ci95[0].toFixed(2)}–${r.ci95[1].toFixed(2)})` : '');
const times = (n) => (n == null ? 'n/a' : `${n.toFixed(2)}×`);

/** "2 × AMD EPYC, Node v20.20.2" */
export const machineText = (out) => `${out.machine.cpus} × ${out.machine.model}, Node ${out.machine.node}`;

/** What kind of run: "quick run", "paired full run", "interleaved paired quick run". */
const runKind = (out) => `${out.paired ? `${out.config.interleave ? 'interleaved ' : ''}paired ` : ''}${out.mode} run`;

/** One line saying what a chart shows: date, mode, machine. Also the README caption. */
export const caption = (out) =>
  `${out.date.slice(0, 10)}, ${runKind(out)}, ${machineText(out)}, a shared machine` +
  (out.config?.loadAtStart == null ? '' : ` (1-minute load ${out.config.loadAtStart} when it started)`);

/** The chart's own subtitle: the caption's facts, shorter, then the run's shape. */
const subtitle = (out, shape) => `${out.date.slice(0, 10)} · ${runKind(out)} · ${machineText(out)} (shared) · ${shape}`;

const CPU_NOTE =
  'CPU: user + system time of the server process (all threads) from the first connect to the last close of the measured handshakes, per handshake.';

export function sequentialChart(out) {
  const c = out.results.some((r) => r.concurrency === RATIO_CONCURRENCY)
    ? RATIO_CONCURRENCY
    : out.results[0]?.concurrency;
  const byName = new Map(out.results.filter((r) => r.concurrency === c).map((r) => [r.server, r]));
  const row = (name) => {
    const r = byName.get(name);
    const q = (f, p) => quantile(r.runs.map(f), p);
    return {
      name,
      kind: kindOf(name),
      hs: r.handshakesPerSec,
      hsLo: q((x) => x.handshakesPerSec, 0.25),
      hsHi: q((x) => x.handshakesPerSec, 0.75),
      cpu: r.serverCpuUsPerHandshake,
      cpuLo: q((x) => x.serverCpuUsPerHandshake, 0.25),
      cpuHi: q((x) => x.serverCpuUsPerHandshake, 0.75),
    };
  };
  const groups = GROUPS.map((g) => ({
    label: g.label,
    note: g.pairs
      .filter((p) => out.cpuRatios[p] != null)
      .map((p) => `${p}: CPU ${times(out.cpuRatios[p])}, handshakes/s ${times(out.ratios[p])}`)
      .join(' · '),
    rows: g.servers.filter((n) => byName.has(n)).map(row),
  })).filter((g) => g.rows.length);
  return {
    title: 'wsgate handshake bench: every server in turn',
    subtitle: subtitle(out, `concurrency ${c} · median of ${out.config.repsDone} rep(s) · ratios wsgate / peer`),
    whisker: 'interquartile range over reps',
    groups,
    footnote: [
      CPU_NOTE,
      'Servers ran one after another: their figures saw different spells of machine noise; node bench/run.js --paired compares each pair in alternating windows.',
    ],
  };
}

export function pairedChart(out) {
  const row = (name, s) => ({
    name,
    kind: kindOf(name),
    hs: s.handshakesPerSec.median,
    hsLo: s.handshakesPerSec.q1,
    hsHi: s.handshakesPerSec.q3,
    cpu: s.cpuUsPerHandshake.median,
    cpuLo: s.cpuUsPerHandshake.q1,
    cpuHi: s.cpuUsPerHandshake.q3,
    hsMissing: 'not measured when interleaved',
  });
  const cfg = out.config;
  const groups = out.pairs.map((p) => ({
    label: p.pair,
    note:
      `CPU ratio ${times(p.cpuRatio.median)}${ci(p.cpuRatio)}` +
      (cfg.interleave
        ? ''
        : `, handshakes/s ratio ${times(p.handshakesPerSecRatio.median)}${ci(p.handshakesPerSecRatio)}`),
    rows: [row(p.wsgate, p.wsgateSide), row(p.peer, p.peerSide)],
  }));
  const round = cfg.interleave
    ? 'one window shared by both sides, the generator alternating handshake by handshake'
    : 'two back-to-back windows, one per side';
  return {
    title: `wsgate handshake bench: wsgate and its peer, ${cfg.interleave ? 'interleaved' : 'in alternating windows'}`,
    subtitle: subtitle(
      out,
      `concurrency ${cfg.concurrency} · ${cfg.rounds} rounds × ${cfg.perWindow} handshakes per side · medians over rounds`,
    ),
    whisker: 'interquartile range over rounds',
    groups,
    footnote: [
      CPU_NOTE,
      `A round is ${round}. Ratio = wsgate / peer within a round; median over rounds and its 95% confidence interval.`,
    ],
  };
}
