// pnpm test:soak — churn: 100,000 handshakes (accepted, rejected and aborted, mixed) against each server,
// then: heap after GC within 5 % of where it started, quota counts back to zero, and this process exits on
// its own (no open handle left: the script never calls process.exit on success).
//
// Run with --expose-gc. SOAK_COUNT changes the count (default 100000); SOAK_ONLY=core,express picks servers.
import net from 'node:net';
import { servers } from './servers.mjs';

const COUNT = Number(process.env.SOAK_COUNT ?? 100_000);
const CONCURRENCY = 64;
const only = process.env.SOAK_ONLY?.split(',');
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

function request(port, path, cookie) {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
    (cookie ? `Cookie: ${cookie}\r\n` : '') +
    '\r\n'
  );
}

/** One handshake of kind accept | reject | abort; resolves with the status seen (0 for an abort). */
function handshake(port, kind, cookie) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${kind} handshake got no answer in 10 s`));
    }, 10_000);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(kind === 'abort' ? 0 : Number(head.split(' ')[1]));
    });
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      // Accepted: close at once from our side (a client leaving right after the 101).
      if (head.includes('\r\n\r\n')) socket.destroy();
    });
    socket.write(
      request(
        port,
        kind === 'reject' ? '/soak' : kind === 'abort' ? '/slow' : '/soak',
        kind === 'reject' ? '' : cookie,
      ),
    );
    // Aborted: gone while the hook (or middleware) still waits.
    if (kind === 'abort') setTimeout(() => socket.destroy(), 2);
  });
}

async function heapAfterGc() {
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** `count` handshakes, 60 % accepted, 30 % rejected, 10 % aborted, CONCURRENCY at a time. */
async function churn(port, count, cookie) {
  const counts = { 101: 0, 401: 0, 0: 0, other: 0 };
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next++;
      const kind = i % 10 < 6 ? 'accept' : i % 10 < 9 ? 'reject' : 'abort';
      const status = await handshake(port, kind, cookie);
      if (status in counts) counts[status]++;
      else counts.other++;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return counts;
}

async function soak(server) {
  const started = await server.start();
  const { port } = started;
  // Warm up so that lazily built state (JIT, pools, caches) is in the baseline.
  await churn(port, 10_000, started.cookie);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = await heapAfterGc();
  const began = performance.now();
  const counts = await churn(port, COUNT, started.cookie);
  const wallSeconds = (performance.now() - began) / 1000;
  // Let the server see every close before reading its counters.
  const settleUntil = Date.now() + 10_000;
  while (
    (started.pending() !== 0 || started.quotaHeld() !== 0 || started.connections() !== 0) &&
    Date.now() < settleUntil
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const after = await heapAfterGc();
  const result = {
    server: server.name,
    handshakes: COUNT,
    accepted: counts[101],
    rejected: counts[401],
    aborted: counts[0],
    other: counts.other,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    heapBeforeMiB: Number((before / 2 ** 20).toFixed(2)),
    heapAfterMiB: Number((after / 2 ** 20).toFixed(2)),
    heapGrowth: Number(((after - before) / before).toFixed(4)),
    pending: started.pending(),
    quotaHeld: started.quotaHeld(),
    connections: started.connections(),
  };
  await started.close();
  return result;
}

const results = [];
let failures = 0;
for (const server of servers) {
  if (only && !only.includes(server.name)) continue;
  const result = await soak(server);
  results.push(result);
  const problems = [];
  if (result.other > 0) problems.push(`${result.other} unexpected statuses`);
  if (result.heapGrowth > 0.05) problems.push(`heap grew ${(result.heapGrowth * 100).toFixed(1)} %`);
  if (result.pending !== 0) problems.push(`${result.pending} handshakes still pending`);
  if (result.quotaHeld !== 0) problems.push(`${result.quotaHeld} quota units still held`);
  if (result.connections !== 0) problems.push(`${result.connections} connections still open`);
  console.log(JSON.stringify(result), problems.length ? `FAIL: ${problems.join(', ')}` : 'ok');
  if (problems.length) failures++;
}
console.table(
  results.map(({ server, handshakes, wallSeconds, heapBeforeMiB, heapAfterMiB, heapGrowth }) => ({
    server,
    handshakes,
    wallSeconds,
    heapBeforeMiB,
    heapAfterMiB,
    heapGrowth,
  })),
);
console.log(`${results.length - failures} passed, ${failures} failed`);
if (failures > 0) process.exitCode = 1;
// No process.exit: if a handle leaked, the process stays, and the `timeout` around it in package.json fails.
