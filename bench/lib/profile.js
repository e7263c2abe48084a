// Profile mode: one measured window per server under the inspector's sampling profiler, started and
// stopped inside the server (servers/_window.js) so the profile holds the measured handshakes and nothing
// else: no start-up, no warm-up, no idle time between runs.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compareReport, topReport } from '../top.js';
import { stop } from './children.js';
import { analyze } from './cpuprofile.js';
import { log } from './log.js';
import { benchDir, measured, startAll } from './servers.js';
import { int, us } from './table.js';

/** Profiles each named server in turn; returns { profiles: [...], text } for the JSON and stdout. */
export async function runProfiles(names, loadgen, cfg, top) {
  const profiles = [];
  const named = [];
  const lines = [];
  for (const name of names) {
    const [s] = await startAll([name], loadgen, { serverWarmup: cfg.serverWarmup, timeLimitMs: cfg.timeLimitMs });
    if (s.status !== 'ok') {
      profiles.push({ server: name, status: s.status, reason: s.reason });
      lines.push(`${name}: ${s.status} (${s.reason})`, '');
      continue;
    }
    const file = path.join(benchDir, 'results', `${name}.cpuprofile`);
    try {
      const r = await measured(s, () => loadgen.run(s.port, cfg.concurrency, cfg.count, cfg.timeLimitMs), {
        profile: { path: file, intervalUs: cfg.intervalUs },
      });
      log(
        `${name}: profiled ${int(r.ok)} handshakes, ${int(r.handshakesPerSec)} hs/s, ` +
          `CPU ${us(r.serverCpuUsPerHandshake)} us/hs under the profiler`,
      );
      const a = analyze(JSON.parse(readFileSync(file, 'utf8')));
      named.push([name, a]);
      profiles.push({
        server: name,
        status: 'ok',
        file: path.relative(benchDir, file),
        handshakes: r.ok,
        failed: r.failed,
        handshakesPerSec: r.handshakesPerSec,
        serverCpuUsPerHandshake: r.serverCpuUsPerHandshake,
        gcUsPerHandshake: r.gcUsPerHandshake,
      });
      lines.push(...topReport(name, a, { top }), '', `wrote ${path.relative(process.cwd(), file)}`, '');
    } finally {
      await stop(s.child);
    }
  }
  if (named.length > 1) lines.push(...compareReport(named), '');
  return { profiles, text: lines.join('\n') };
}
