// Where the µs go in a .cpuprofile, without Chrome DevTools.
//
//   node bench/top.js bench/results/wsgate-express.cpuprofile [--top 20] [--handshakes N]
//   node bench/top.js a.cpuprofile b.cpuprofile        also compares the profiles package by package
//   node bench/top.js a.cpuprofile --callers getpeername  where a function is called from
//
// Profiles written by `node bench/run.js --profile <server>` carry their handshake count, so figures are
// per handshake (µs/hs); for other profiles pass --handshakes, or read the ms and percentages.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyze, callers } from './lib/cpuprofile.js';
import { table } from './lib/table.js';

function add(map, k, v) {
  map.set(k, (map.get(k) || 0) + v);
}

/** Lines of text for one analysed profile. */
export function topReport(name, a, { top = 20, handshakes } = {}) {
  const hs = handshakes || a.meta?.handshakes || null;
  const unit = hs ? 'us/hs' : 'ms';
  const fig = (t) => (hs ? (t / hs).toFixed(t / hs < 10 ? 2 : 1) : (t / 1000).toFixed(1));
  const pct = (t) => `${((t / a.totalUs) * 100).toFixed(1)}%`;
  const section = (title, rows, limit) => [
    '',
    title,
    table(
      ['', unit, 'share'],
      rows.slice(0, limit).map(([k, t]) => [k, fig(t), pct(t)]),
      ['l', 'r', 'r'],
    ),
  ];
  const head =
    `${name}: ${a.samples} samples, ${(a.totalUs / 1000).toFixed(0)} ms sampled` +
    (hs ? `, ${hs} handshakes, ${fig(a.totalUs)} us/hs in the profile` : '') +
    (a.meta?.server ? ` (server ${a.meta.server})` : '');
  return [
    head,
    ...section('self time by package (code that was on top of the stack)', a.self.pkg, top),
    ...section('time with the package anywhere on the stack (inclusive)', a.inclusive.pkg, top),
    ...section('self time by function', a.self.fn, top),
    ...section('inclusive time by function', a.inclusive.fn, top),
    ...section('self time by file', a.self.file, top),
  ];
}

/** Self time per package, one column per profile, in µs/hs when every profile knows its handshakes. */
export function compareReport(named) {
  const perHs = named.every(([, a]) => a.meta?.handshakes);
  const keys = new Map();
  for (const [, a] of named) for (const [k, t] of a.self.pkg) add(keys, k, t);
  const order = [...keys].sort((x, y) => y[1] - x[1]).map(([k]) => k);
  const cell = (a, k) => {
    const t = new Map(a.self.pkg).get(k) || 0;
    return perHs ? (t / a.meta.handshakes).toFixed(1) : `${(t / 1000).toFixed(1)}`;
  };
  return [
    '',
    `self time by package, side by side (${perHs ? 'us/hs' : 'ms'})`,
    table(
      ['package', ...named.map(([n]) => n)],
      [
        ...order.map((k) => [k, ...named.map(([, a]) => cell(a, k))]),
        [
          'total',
          ...named.map(([, a]) => (perHs ? (a.totalUs / a.meta.handshakes).toFixed(1) : (a.totalUs / 1000).toFixed(1))),
        ],
      ],
      ['l', ...named.map(() => 'r')],
    ),
  ];
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, handshakes: { type: 'string' }, callers: { type: 'string' } },
  });
  if (!positionals.length) {
    console.error(
      'usage: node bench/top.js file.cpuprofile [more.cpuprofile ...] [--top 20] [--handshakes N] [--callers fn]',
    );
    process.exit(2);
  }
  const opts = { top: Number(values.top) || 20, handshakes: Number(values.handshakes) || undefined };
  if (values.callers) {
    for (const f of positionals) {
      const profile = JSON.parse(readFileSync(f, 'utf8'));
      const hs = opts.handshakes || profile.benchMeta?.handshakes;
      console.log(`${path.basename(f)}: callers of ${values.callers} (${hs ? 'us/hs' : 'ms'})`);
      for (const [chain, t] of callers(profile, values.callers).slice(0, opts.top)) {
        console.log(`${(hs ? t / hs : t / 1000).toFixed(2).padStart(8)}  ${chain}`);
      }
      console.log('');
    }
    process.exit(0);
  }
  const named = positionals.map((f) => [path.basename(f, '.cpuprofile'), analyze(JSON.parse(readFileSync(f, 'utf8')))]);
  const lines = [];
  for (const [n, a] of named) lines.push(...topReport(n, a, opts), '');
  if (named.length > 1) lines.push(...compareReport(named));
  console.log(lines.join('\n'));
}
