// The measured window, seen from inside a server process: CPU, GC and (on request) a CPU profile.
//
// The runner opens a window just before the load generator starts the measured handshakes and closes it
// once the generator has them all. Both ends first wait until the server has no open connection, so a
// window holds exactly its own handshakes, from their accept to their close: no tail of a warm-up or of a
// previous window before it, none of its own tail left out after it. Measuring here rather than from
// /proc in the runner also means a paired run can read each of two live servers only for its own windows.
//
// IPC (runner -> server):
//   { type: 'window', id, phase: 'start', profile?: { path, intervalUs } } -> { type: 'window', id, waitedMs }
//   { type: 'window', id, phase: 'end', meta? } -> { type: 'window', id, cpuUs, userUs, systemUs, gcCount, gcUs,
//                                                    allocatedBytes, jitCodeBytes, elapsedMs, waitedMs, openAtEnd,
//                                                    profilePath? }
// A profile is written as the inspector returns it, plus `benchMeta`: the runner's `meta` (server name,
// handshake count) and the window's figures, so bench/top.js can give µs per handshake.

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';

const QUIET_POLL_MS = 2;
const QUIET_LIMIT_MS = 1000; // a server that keeps sockets open must not stall the run; openAtEnd says so

// Every server observes GC all the time, measured or not, so the observer's own cost is the same for all.
// Entries arrive a turn or two after the collection; they are kept (only while a window is being measured,
// so nothing piles up between windows) with their start time and counted into the window they started in.
let gcEntries = [];
let collecting = false;
const gcObserver = new PerformanceObserver((list) => {
  if (!collecting) return;
  for (const e of list.getEntries()) gcEntries.push({ startTime: e.startTime, duration: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

let server = null;
let open = null; // the current window: { cpu, t0, session? }

/** The http.Server whose connections decide when the server is quiet (set by the harness). */
export function watchConnections(s) {
  server = s;
}

function connections() {
  return new Promise((resolve) => {
    if (!server) return resolve(0);
    server.getConnections((err, n) => resolve(err ? 0 : n));
  });
}

/** Waits until no connection is open (or the limit passes). Returns [waited ms, connections still open]. */
async function quiet() {
  const t0 = performance.now();
  let n = await connections();
  while (n > 0 && performance.now() - t0 < QUIET_LIMIT_MS) {
    await new Promise((r) => setTimeout(r, QUIET_POLL_MS));
    n = await connections();
  }
  return [performance.now() - t0, n];
}

/** Delivers GC entries still queued: the observer hands them over one immediate after the collection. */
async function drainGc() {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  for (const e of gcObserver.takeRecords()) gcEntries.push({ startTime: e.startTime, duration: e.duration });
  collecting = false;
}

/**
 * Bytes allocated on the V8 heap during the window: what the heap grew by, plus what each collection in it
 * freed. Unlike GC time this does not move with machine load, so it shows a change in garbage per handshake
 * even on a noisy run. An estimate: sweeping that finishes after a collection is not seen.
 */
function allocated(heap0, heap1, { statistics }) {
  let bytes = heap1 - heap0;
  for (const gc of statistics)
    bytes += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return bytes;
}

/**
 * Machine code and its metadata on the V8 heap. It grows while V8 is still compiling the server's hot
 * functions, which is CPU in the window that a warmed-up server does not spend: the bench warms every
 * server until this stays flat (see config.js), and reports it so that a run shows when it did not.
 */
function codeBytes() {
  return v8.getHeapCodeStatistics().code_and_metadata_size;
}

async function start({ profile }) {
  if (open) throw new Error('a window is already open');
  const [waitedMs] = await quiet();
  let session = null;
  if (profile) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: profile.intervalUs });
    await session.post('Profiler.start');
  }
  // Read last, so that starting the profiler is not in the window.
  gcEntries = [];
  collecting = true;
  const gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
  const code0 = codeBytes();
  open = {
    code0,
    gcProfiler,
    heap0: v8.getHeapStatistics().used_heap_size,
    cpu: process.cpuUsage(),
    t0: performance.now(),
    session,
    profilePath: profile?.path,
  };
  return { waitedMs };
}

async function end({ meta }) {
  if (!open) throw new Error('no window is open');
  const [waitedMs, openAtEnd] = await quiet();
  // Read first, so that stopping the profiler and writing its file are not in the window.
  const cpu = process.cpuUsage(open.cpu);
  const t1 = performance.now();
  const heap1 = v8.getHeapStatistics().used_heap_size;
  const jitCodeBytes = codeBytes() - open.code0;
  const { t0, session, profilePath, gcProfiler, heap0 } = open;
  open = null;
  const allocatedBytes = allocated(heap0, heap1, gcProfiler.stop());
  const profile = session ? (await session.post('Profiler.stop')).profile : null;
  session?.disconnect();
  await drainGc();
  let gcCount = 0;
  let gcMs = 0;
  for (const e of gcEntries) {
    if (e.startTime >= t0 && e.startTime <= t1) {
      gcCount++;
      gcMs += e.duration;
    }
  }
  gcEntries = [];
  const reply = {
    cpuUs: cpu.user + cpu.system,
    userUs: cpu.user,
    systemUs: cpu.system,
    gcCount,
    gcUs: gcMs * 1000,
    allocatedBytes,
    jitCodeBytes,
    elapsedMs: t1 - t0,
    waitedMs,
    openAtEnd,
  };
  if (profile) {
    await writeFile(profilePath, JSON.stringify({ ...profile, benchMeta: { ...meta, ...reply } }));
    reply.profilePath = profilePath;
  }
  return reply;
}

/** Answers one 'window' message; any failure goes back to the runner as an error reply. */
export async function onWindowMessage(msg) {
  try {
    const reply = msg.phase === 'start' ? await start(msg) : await end(msg);
    process.send({ type: 'window', id: msg.id, ...reply });
  } catch (err) {
    process.send({ type: 'error', id: msg.id, error: String(err?.message || err) });
  }
}
