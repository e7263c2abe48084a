// Handshake load generator: raw `net` sockets, no WebSocket client library.
//
// Runs as a child process of bench/run.js (IPC messages below) or standalone:
//   node bench/loadgen.js --port 8080 [--concurrency 64] [--count 5000] [--warmup 500] [--path /ws]
//
// IPC protocol (parent -> loadgen):
//   { type: 'run',  id, port, path, concurrency, count, warmup, timeLimitMs }  -> { type: 'result', id, ... }
//     (or `ports: [a, b]` instead of `port`: the servers take turns, and the result has `perPort`)
//   { type: 'hold', id, port, path, concurrency, count, timeLimitMs }          -> { type: 'held', id, ... }
//   { type: 'release', id }                                                     -> { type: 'released', id, ... }
// Every loop is bounded by a handshake count and a wall-clock limit.

import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CRLFCRLF = Buffer.from('\r\n\r\n');
const HANDSHAKE_TIMEOUT_MS = 10_000;
const HOST = '127.0.0.1';

/** Keys and the accept values we expect, made before the clock starts so the client spends little CPU. */
function makeKeys(n) {
  const keys = new Array(n);
  const accepts = new Array(n);
  const raw = randomBytes(16 * n);
  for (let i = 0; i < n; i++) {
    const key = raw.subarray(i * 16, i * 16 + 16).toString('base64');
    keys[i] = key;
    accepts[i] = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
  }
  return { keys, accepts };
}

function requestBytes(port, path, key) {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\n` +
      `Host: ${HOST}:${port}\r\n` +
      'Connection: Upgrade\r\n' +
      'Upgrade: websocket\r\n' +
      `Sec-WebSocket-Key: ${key}\r\n` +
      'Sec-WebSocket-Version: 13\r\n' +
      `Origin: http://${HOST}:${port}\r\n` +
      'Cookie: sid=abc\r\n' +
      '\r\n',
    'latin1',
  );
}

/** Checks a response head: status 101 and the right Sec-WebSocket-Accept. Returns null when fine. */
function checkHead(head, expectedAccept) {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(lines[0]);
  if (!m) return `bad status line: ${JSON.stringify(lines[0].slice(0, 60))}`;
  if (m[1] !== '101') return `HTTP ${lines[0].slice(9, 80)}`;
  let accept = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'sec-websocket-accept') {
      if (accept !== null) return 'repeated Sec-WebSocket-Accept';
      accept = line.slice(colon + 1).trim();
    }
  }
  if (accept === null) return 'no Sec-WebSocket-Accept';
  if (accept !== expectedAccept) return 'wrong Sec-WebSocket-Accept';
  return null;
}

/**
 * One handshake. Resolves { ok, ms, socket?, error? }; never rejects.
 * keep=true leaves the socket open (hold mode), otherwise it is destroyed once the head is checked.
 */
function handshake(port, request, expectedAccept, keep) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const socket = net.connect({ host: HOST, port, noDelay: true });
    let chunks = [];
    let size = 0;
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      socket.removeListener('data', onData);
      if (error || !keep) socket.destroy();
      if (error) resolve({ ok: false, ms, error });
      else resolve({ ok: true, ms, socket: keep ? socket : undefined });
    };
    const onData = (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      const buf = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      chunks = [buf];
      const end = buf.indexOf(CRLFCRLF);
      if (end === -1) {
        if (size > 16 * 1024) finish('response head larger than 16 KiB');
        return;
      }
      finish(checkHead(buf.toString('latin1', 0, end), expectedAccept));
    };
    const timer = setTimeout(() => finish(`no response head within ${HANDSHAKE_TIMEOUT_MS} ms`), HANDSHAKE_TIMEOUT_MS);
    socket.on('data', onData);
    socket.on('error', (err) => finish(err.code || err.message));
    socket.on('close', () => finish('closed before a complete response head'));
    socket.write(request);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * `count` handshakes with `concurrency` of them in flight. Returns stats; `sockets` when keep=true.
 * Stops issuing new handshakes once `timeLimitMs` has passed (reported as timedOut).
 * With `ports` (several servers), handshake i goes to ports[i % ports.length], so the servers take turns
 * handshake by handshake, and `perPort` gives each one's figures.
 */
async function load({ port, ports = [port], path = '/ws', concurrency, count, timeLimitMs = 60_000, keep = false }) {
  const { keys, accepts } = makeKeys(count);
  const requests = keys.map((k, i) => requestBytes(ports[i % ports.length], path, k));
  const perPort = ports.map((p) => ({ port: p, ok: 0, failed: 0, latencies: [] }));
  const latencies = new Float64Array(count);
  const sockets = keep ? [] : undefined;
  const errors = new Map();
  let next = 0;
  let ok = 0;
  let failed = 0;
  let timedOut = false;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + timeLimitMs;

  async function worker() {
    while (next < count) {
      if (Date.now() > deadline) {
        timedOut = true;
        return;
      }
      const i = next++;
      const target = perPort[i % ports.length];
      const r = await handshake(target.port, requests[i], accepts[i], keep);
      if (r.ok) {
        latencies[ok++] = r.ms;
        target.ok++;
        if (ports.length > 1) target.latencies.push(r.ms);
        if (keep) {
          r.socket.on('error', () => {});
          r.socket.resume();
          sockets.push(r.socket);
        }
      } else {
        failed++;
        target.failed++;
        errors.set(r.error, (errors.get(r.error) || 0) + 1);
      }
    }
  }
  const workers = [];
  for (let w = 0; w < Math.min(concurrency, count); w++) workers.push(worker());
  await Promise.all(workers);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const sorted = latencies.subarray(0, ok).sort();
  const rate = (n) => (elapsedMs > 0 ? (n / elapsedMs) * 1000 : 0);
  return {
    ok,
    failed,
    attempted: next,
    timedOut,
    elapsedMs,
    handshakesPerSec: rate(ok),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : null,
    errors: Object.fromEntries([...errors].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    ...(ports.length > 1
      ? {
          perPort: perPort.map((t) => {
            const l = Float64Array.from(t.latencies).sort();
            return { port: t.port, ok: t.ok, failed: t.failed, p50Ms: percentile(l, 50), p99Ms: percentile(l, 99) };
          }),
        }
      : {}),
    sockets,
  };
}

let held = [];

async function onMessage(msg) {
  if (!msg || typeof msg !== 'object') return;
  try {
    if (msg.type === 'run') {
      if (msg.warmup > 0) {
        await load({ ...msg, count: msg.warmup, timeLimitMs: msg.timeLimitMs });
      }
      const { sockets, ...stats } = await load(msg);
      process.send({ type: 'result', id: msg.id, ...stats });
    } else if (msg.type === 'hold') {
      const { sockets, ...stats } = await load({ ...msg, keep: true });
      let droppedByServer = 0;
      for (const s of sockets) s.once('close', () => droppedByServer++);
      held = sockets;
      // Give the server a moment, then report how many are still open.
      await new Promise((r) => setTimeout(r, 200));
      process.send({ type: 'held', id: msg.id, ...stats, open: sockets.length - droppedByServer });
    } else if (msg.type === 'release') {
      const n = held.length;
      const closes = held.map((s) => (s.destroyed ? null : new Promise((r) => s.once('close', r))));
      for (const s of held) s.destroy();
      held = [];
      await Promise.race([Promise.all(closes), new Promise((r) => setTimeout(r, 5000))]);
      process.send({ type: 'released', id: msg.id, count: n });
    }
  } catch (err) {
    process.send({ type: 'error', id: msg.id, error: String(err?.stack || err) });
  }
}

if (process.send) {
  process.on('message', onMessage);
  // The runner went away: stop at once.
  process.on('disconnect', () => process.exit(0));
} else {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      path: { type: 'string', default: '/ws' },
      concurrency: { type: 'string', default: '64' },
      count: { type: 'string', default: '5000' },
      warmup: { type: 'string', default: '500' },
      'time-limit': { type: 'string', default: '30000' },
    },
  });
  if (!values.port) {
    console.error(
      'usage: node loadgen.js --port N [--path /ws] [--concurrency 64] [--count 5000] [--warmup 500] [--time-limit ms]',
    );
    process.exit(2);
  }
  const opts = {
    port: Number(values.port),
    path: values.path,
    concurrency: Number(values.concurrency),
    timeLimitMs: Number(values['time-limit']),
  };
  if (Number(values.warmup) > 0) await load({ ...opts, count: Number(values.warmup) });
  const { sockets, ...stats } = await load({ ...opts, count: Number(values.count) });
  console.log(JSON.stringify(stats, null, 2));
}
