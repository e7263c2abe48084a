// The processes a run drives: each server in its own process, one load generator for all, and the
// measured window that wraps a load run (see servers/_window.js for the server's side of it).

import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, stop, track } from './children.js';
import { WS_PATH } from './config.js';
import { log } from './log.js';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

/** Waits for the port, from an IPC 'listening' message or a `{"port":N}` stdout line. */
function portOf(child, stderr) {
  return new Promise((resolve, reject) => {
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
      setImmediate(() => reject(new Error(why(stderr()) + (code ? '' : ` (exit ${code ?? signal})`))));
    });
  });
}

/** Forks servers/<name>.js; resolves { name, status: 'ok', port, child } or { name, status: 'skipped', reason }. */
export async function startServer(name) {
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
    const port = await portOf(child, () => stderr);
    return { name, status: 'ok', port, child };
  } catch (err) {
    await stop(child);
    return { name, status: 'skipped', reason: err.message };
  }
}

/** The load generator process, with one method per IPC request it understands (see loadgen.js). */
export function startLoadgen() {
  const child = track(
    fork(path.join(benchDir, 'loadgen.js'), [], { cwd: benchDir, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const lg = (msg, replyType, timeoutMs) => request(child, msg, replyType, timeoutMs);
  return {
    child,
    /** `port` may be an array of ports: the servers then take turns, handshake by handshake. */
    run: (port, concurrency, count, timeLimitMs) =>
      lg(
        {
          type: 'run',
          ...(Array.isArray(port) ? { ports: port } : { port }),
          path: WS_PATH,
          concurrency,
          count,
          warmup: 0,
          timeLimitMs,
        },
        'result',
        timeLimitMs + 30_000,
      ),
    hold: (port, count, timeLimitMs) =>
      lg({ type: 'hold', port, path: WS_PATH, concurrency: 128, count, timeLimitMs }, 'held', timeLimitMs + 30_000),
    release: () => lg({ type: 'release' }, 'released', 30_000),
    stop: () => stop(child),
  };
}

/**
 * Starts each server, checks that it completes the bench handshake (20 probes at concurrency 1) and warms
 * it up. A server that cannot is reported as skipped or failed and the run goes on without it.
 */
export async function startAll(names, loadgen, { serverWarmup, timeLimitMs }) {
  const servers = [];
  for (const name of names) {
    const s = await startServer(name);
    if (s.status === 'ok') {
      const probe = await loadgen.run(s.port, 1, 20, 10_000);
      if (probe.ok === 0) {
        s.status = 'failed';
        s.reason = `rejects the bench handshake: ${Object.keys(probe.errors)[0] || 'no response'}`;
        await stop(s.child);
      } else {
        if (probe.failed) s.warning = `probe: ${probe.failed}/20 failed (${Object.keys(probe.errors).join('; ')})`;
        await loadgen.run(s.port, 64, serverWarmup, timeLimitMs);
      }
    }
    const state = s.status === 'ok' ? `listening on 127.0.0.1:${s.port}` : `${s.status} (${s.reason})`;
    log(`${name}: ${state}${s.warning ? ` [${s.warning}]` : ''}`);
    servers.push(s);
  }
  return servers;
}

const openWindow = (server, profile) =>
  request(server.child, { type: 'window', phase: 'start', profile }, 'window', 10_000);
const closeWindow = (server, handshakes) =>
  request(server.child, { type: 'window', phase: 'end', meta: { server: server.name, handshakes } }, 'window', 60_000);

/** A window's figures per handshake. */
function perHandshake(w, ok) {
  const per = (x) => (ok ? x / ok : null);
  return {
    serverCpuUsPerHandshake: per(w.cpuUs),
    userUsPerHandshake: per(w.userUs),
    gcUsPerHandshake: per(w.gcUs),
    allocBytesPerHandshake: per(w.allocatedBytes),
    gcCount: w.gcCount,
    window: w,
  };
}

/**
 * One measured load run: the server opens its window (once it has no connection left from before), the
 * generator runs, the server closes the window (once the run's last connection has closed). Returns the
 * generator's figures plus the server's per-handshake CPU, GC and heap allocation.
 */
export async function measured(server, run, { profile } = {}) {
  await openWindow(server, profile);
  let r;
  let w;
  try {
    r = await run();
  } finally {
    // Closed even when the run failed, so the server is ready for the next window.
    w = await closeWindow(server, r?.ok ?? null);
  }
  return { ...r, ...perHandshake(w, r.ok) };
}

/**
 * Several servers measured over the same window while the generator sends them handshakes in turn
 * (`run` gets their ports). Returns one entry per server: its share of the generator's figures and its
 * per-handshake CPU, GC and allocation.
 */
export async function measuredTogether(servers, run) {
  for (const s of servers) await openWindow(s);
  let r;
  const ws = [];
  try {
    r = await run(servers.map((s) => s.port));
  } finally {
    for (const [i, s] of servers.entries()) ws.push(await closeWindow(s, r?.perPort?.[i].ok ?? null));
  }
  return servers.map((_, i) => ({ ...r.perPort[i], elapsedMs: r.elapsedMs, ...perHandshake(ws[i], r.perPort[i].ok) }));
}

/** Same shape as startAll's entries, for the JSON: no process handles. */
export const describe = (servers) =>
  servers.map((s) => ({
    name: s.name,
    status: s.status,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.warning ? { warning: s.warning } : {}),
  }));
