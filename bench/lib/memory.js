// The memory phase: N idle connections against a fresh server process, measured inside it after forced GC.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, stop } from './children.js';
import { log } from './log.js';
import { startServer } from './servers.js';
import { round } from './stats.js';
import { kib } from './table.js';

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

async function measureOne(name, loadgen, n) {
  const s = await startServer(name);
  if (s.status !== 'ok') {
    log(`memory ${name}: skipped (${s.reason})`);
    return { skipped: s.reason };
  }
  try {
    const warm = await loadgen.run(s.port, 64, 500, 10_000);
    if (warm.ok === 0) throw new Error(`rejects the bench handshake: ${Object.keys(warm.errors)[0]}`);
    await new Promise((r) => setTimeout(r, 300));
    const before = await request(s.child, { type: 'memory' }, 'memory', 10_000);
    const held = await loadgen.hold(s.port, n, 60_000);
    const after = await request(s.child, { type: 'memory' }, 'memory', 10_000);
    await loadgen.release();
    const per = (k) => (held.ok ? (after[k] - before[k]) / held.ok : null);
    log(
      `memory ${name}: ${held.ok} held (${held.failed} failed), ${kib(per('rss'))} rss and ${kib(per('heapUsed'))} heap per connection`,
    );
    return {
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
  } catch (err) {
    log(`memory ${name}: failed (${err.message})`);
    return { skipped: err.message };
  } finally {
    await stop(s.child);
  }
}

/**
 * Per-connection memory of each named server. N is capped (with a note) when `ulimit -n` is too low;
 * nothing is raised.
 */
export async function runMemory(names, loadgen, connections, notes) {
  const memory = { connections, servers: {} };
  if (!names.length) return memory;
  let n = connections;
  const limit = fdLimit();
  if (limit != null && limit - 256 < n) {
    n = Math.max(0, limit - 256);
    notes.push(
      `ulimit -n is ${limit}: holding ${n} instead of ${connections} connections (raise it with 'ulimit -n ${connections + 1024}' in the shell that runs the bench)`,
    );
    log(notes.at(-1));
  }
  memory.connections = n;
  for (const name of names) {
    memory.servers[name] = n < 100 ? { skipped: 'too few file descriptors' } : await measureOne(name, loadgen, n);
  }
  const a = memory.servers['wsgate-core'];
  const b = memory.servers.ws;
  const ratio = (k) => (a?.[k] && b?.[k] ? round(a[k] / b[k]) : null);
  memory.ratios = { 'core/ws rss': ratio('rssPerConnBytes'), 'core/ws heapUsed': ratio('heapUsedPerConnBytes') };
  return memory;
}
