// The Redis store alone, without a gate: what an admission costs in Node and in redis-server, and how much of it
// is per call (a round trip, shared by the admissions it carries) and how much per admission. C loops at a time
// each admit one rate limit (on one shared key, as bench/cluster.js's per-IP limit from one address) and one
// quota (on one of 1,000 users), release it, and pause 0-2 ms, like handshakes arriving at a gate; the more
// loops, the more admissions each call carries.
//
//   node bench/redis-store.js [--concurrency 4,16,64] [--admissions 32000] [--redis-url URL]
//
// Per concurrency: calls per admission, and CPU per admission of this process (less the same loop without the
// store) and of redis-server (INFO cpu). Then a least-squares line through those points: CPU = per admission +
// per call × calls per admission. Without --redis-url it starts its own redis-server. Run `pnpm build` first.

import { parseArgs } from 'node:util';
import { createRedisStore } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { redisCpuUs, startRedis } from './lib/cluster-load.js';

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '4,16,64' },
    admissions: { type: 'string', default: '32000' },
    'redis-url': { type: 'string' },
  },
});
const COUNT = Number(args.admissions);
const redis = args['redis-url'] ? { url: args['redis-url'], stop() {} } : await startRedis();
const client = new Redis(redis.url);
const inspect = new Redis(redis.url);
const store = createRedisStore({ client, prefix: `{bench-store-${process.pid}}:`, leaseMs: 15_000 });
const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));

/** `count` admissions from `concurrency` loops; with `admit` false, the same loop without the store. */
async function run(concurrency, count, admit = true) {
  let next = 0;
  const calls = store.stats().commands;
  const redisBefore = await redisCpuUs(inspect);
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const user = next++ % 1000;
        if (admit) {
          const verdict = await store.admitBatch({
            hits: [{ key: 'ip:127.0.0.1', limit: 1_000_000, windowMs: 1000 }],
            leases: [{ key: `key:u${user}`, limit: 2 }],
          });
          if (verdict.admitted) void store.release(verdict.leases[0]);
        }
        await pause();
      }
    }),
  );
  const cpu = process.cpuUsage(before);
  return {
    nodeUs: (cpu.user + cpu.system) / count,
    redisUs: ((await redisCpuUs(inspect)) - redisBefore) / count,
    callsPerAdmission: (store.stats().commands - calls) / count,
  };
}

const rows = [];
for (const concurrency of args.concurrency.split(',').map(Number)) {
  await run(concurrency, COUNT / 4); // warm-up
  const loop = await run(concurrency, COUNT, false);
  const measured = await run(concurrency, COUNT);
  rows.push({ concurrency, ...measured, nodeUs: measured.nodeUs - loop.nodeUs });
}
await store.close();
client.disconnect();
inspect.disconnect();
redis.stop();

const fmt = (n, digits = 1) => n.toFixed(digits).padStart(8);
console.log('concurrency  calls/admission  Node µs/admission  Redis µs/admission');
for (const r of rows)
  console.log(
    `${String(r.concurrency).padStart(11)}  ${fmt(r.callsPerAdmission, 3)}         ${fmt(r.nodeUs)}           ${fmt(r.redisUs)}`,
  );

/** Least squares y = a + b x over the rows. */
function line(y) {
  const n = rows.length;
  const mx = rows.reduce((s, r) => s + r.callsPerAdmission, 0) / n;
  const my = rows.reduce((s, r) => s + y(r), 0) / n;
  const sxy = rows.reduce((s, r) => s + (r.callsPerAdmission - mx) * (y(r) - my), 0);
  const sxx = rows.reduce((s, r) => s + (r.callsPerAdmission - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { perAdmission: my - b * mx, perCall: b };
}
for (const [name, y] of [
  ['Node', (r) => r.nodeUs],
  ['Redis', (r) => r.redisUs],
]) {
  const { perAdmission, perCall } = line(y);
  console.log(`${name}: ${perAdmission.toFixed(1)} µs per admission + ${perCall.toFixed(0)} µs per call`);
}
