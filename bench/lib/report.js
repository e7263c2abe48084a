// The text report of a sequential run: the per-cell table, the pair ratios, memory and notes.

import { PAIRS, RATIO_CONCURRENCY } from './config.js';
import { int, kib, ms, ratio, table, us } from './table.js';

export function machineLine(out) {
  const { machine } = out;
  return `node ${machine.node}, ${machine.cpus} x ${machine.model}`;
}

export function sequentialReport(out, servers) {
  const lines = [];
  lines.push(
    `wsgate handshake bench: ${out.mode} mode, ${machineLine(out)}, median of ${out.config.repsDone} rep(s), ` +
      `${(out.durationMs / 1000).toFixed(0)} s`,
  );
  lines.push('');
  lines.push(
    table(
      [
        'server',
        'conc',
        'handshakes/s',
        'spread',
        'p50 ms',
        'p99 ms',
        'CPU us/hs',
        'GC us/hs',
        'GCs/1k hs',
        'alloc KiB/hs',
        'JIT KiB',
        'failed',
      ],
      out.results.map((r) => [
        r.server,
        r.concurrency,
        int(r.handshakesPerSec),
        r.spreadPct == null ? '-' : `${r.spreadPct}%`,
        ms(r.p50Ms),
        ms(r.p99Ms),
        us(r.serverCpuUsPerHandshake),
        us(r.gcUsPerHandshake),
        r.gcPer1kHandshakes == null ? '-' : r.gcPer1kHandshakes.toFixed(1),
        r.allocBytesPerHandshake == null ? '-' : (r.allocBytesPerHandshake / 1024).toFixed(1),
        r.jitKiB ?? '-',
        r.failed + (r.timedOut ? ' (time limit)' : ''),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
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
      Object.keys(PAIRS).map((k) => [k, ratio(out.ratios[k]), ratio(out.cpuRatios[k])]),
      ['l', 'r', 'r'],
    ),
  );
  const memoryNames = Object.keys(out.memory.servers);
  if (memoryNames.length) {
    const { memory } = out;
    lines.push('');
    lines.push(
      `memory: ${memory.connections.toLocaleString('en-US')} idle connections, after forced GC, per connection`,
    );
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
  for (const note of out.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
