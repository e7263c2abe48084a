// Several Node processes sharing one Redis, as behind a load balancer: each runs its own store (its own
// client, heartbeat and lease ids) in a child process (test/fixtures/lease-holder.ts). The same tests run on
// one redis-server (ioredis, node-redis) and on a real 3-master Redis Cluster (ioredis's Cluster, node-redis's
// createCluster), where every script must touch one slot (the prefix's hash tag) or Redis answers CROSSSLOT.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type Lease } from '../src/index.js';
import { type ClientKind, clusterKinds, connect } from './clients.js';
import type { Command, Report } from './fixtures/lease-holder.js';
import { type RedisCluster, startRedisCluster } from './redis-cluster.js';
import { describeWithRedis, startRedisServer } from './redis-server.js';

const holderPath = fileURLToPath(new URL('./fixtures/lease-holder.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Holder {
  readonly child: ChildProcess;
  send(command: Command): void;
  /** The next report that has `field`. */
  next<F extends string>(field: F): Promise<Extract<Report, Record<F, unknown>>>;
  readonly errors: string[];
}

async function startHolder(kind: ClientKind, port: number, prefix: string, leaseMs: number, renewEveryMs: number) {
  const child = fork(holderPath, [kind, String(port), prefix, String(leaseMs), String(renewEveryMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: Array<{ field: string; resolve: (report: Report) => void; reject: (error: Error) => void }> = [];
  const errors: string[] = [];
  child.on('message', (report: Report) => {
    if ('error' in report) errors.push(report.error);
    const i = waiting.findIndex(({ field }) => field in report);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(report);
  });
  child.once('exit', (code, signal) => {
    for (const { reject } of waiting.splice(0)) reject(new Error(`lease holder exited (${code ?? signal})`));
  });
  const holder: Holder = {
    child,
    errors,
    send: (command) => child.send(command),
    next: (field) =>
      new Promise((resolve, reject) => {
        waiting.push({ field, resolve: resolve as (report: Report) => void, reject });
      }),
  };
  await holder.next('ready');
  return holder;
}

async function stopHolder(holder: Holder): Promise<void> {
  if (holder.child.exitCode !== null || holder.child.signalCode !== null) return;
  const exited = new Promise((resolve) => holder.child.once('exit', resolve));
  holder.send({ op: 'exit' });
  await Promise.race([exited, sleep(5_000).then(() => holder.child.kill('SIGKILL'))]);
}

/** Where the processes' Redis is: one server, or a cluster; `port` is a seed for cluster clients. */
interface Target {
  readonly port: number;
  readonly inspect: Redis | Cluster;
  stop(): Promise<void>;
}

async function singleServer(): Promise<Target> {
  const server = await startRedisServer();
  const inspect = new Redis({ port: server.port, host: '127.0.0.1' });
  return {
    port: server.port,
    inspect,
    stop: async () => {
      inspect.disconnect();
      await server.stop();
    },
  };
}

async function cluster(): Promise<Target> {
  const started: RedisCluster = await startRedisCluster();
  const inspect = new Cluster([{ host: '127.0.0.1', port: started.ports[0] as number }]);
  await new Promise((resolve) => inspect.once('ready', resolve));
  return {
    port: started.ports[0] as number,
    inspect,
    stop: async () => {
      inspect.disconnect();
      await started.stop();
    },
  };
}

describeWithRedis.each([
  ['one redis-server', singleServer, ['ioredis', 'redis']],
  ['a 3-master Redis Cluster', cluster, clusterKinds],
] as const)('leases shared by several processes, on %s', (_where, start, kinds) => {
  let target: Target;
  let server: { port: number };
  let inspect: Redis | Cluster;
  beforeAll(async () => {
    target = await start();
    server = target;
    inspect = target.inspect;
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
  });
  const redisNow = async () => {
    const [seconds, micros] = await inspect.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  describe.each(kinds as readonly ClientKind[])('with %s', (kind) => {
    const prefix = `{cluster}:${kind}:`;
    let holders: Holder[] = [];
    beforeAll(async () => {
      holders = await Promise.all(
        Array.from({ length: 4 }, () => startHolder(kind, server.port, prefix, 30_000, 10_000)),
      );
    }, 60_000);
    afterAll(async () => {
      await Promise.all(holders.map(stopHolder));
    });

    it('grants exactly 50 of 500 concurrent acquires from 4 processes against a limit of 50', async () => {
      const replies = Promise.all(holders.map((h) => h.next('granted')));
      for (const h of holders) h.send({ op: 'acquire', key: 'room:lobby', limit: 50, n: 125 });
      const results = await replies;
      const granted = results.flatMap((r) => r.granted);
      expect(results.map((r) => r.failed)).toEqual([0, 0, 0, 0]);
      expect(granted).toHaveLength(50);
      expect(new Set(granted).size).toBe(50); // lease ids are unique across processes
      const members = await inspect.zrange(`${prefix}lease:room:lobby`, '0', '-1');
      expect(members.sort()).toEqual([...granted].sort());
      expect(holders.flatMap((h) => h.errors)).toEqual([]);
    });

    it('never holds more than the limit while 4 processes acquire and release concurrently', async () => {
      const key = `${prefix}lease:room:churn`;
      const replies = Promise.all(holders.map((h) => h.next('churned')));
      for (const h of holders) h.send({ op: 'churn', key: 'room:churn', limit: 10, rounds: 40 });
      let done = false;
      let most = 0;
      let samples = 0;
      void replies.finally(() => {
        done = true;
      });
      while (!done) {
        most = Math.max(most, await inspect.zcard(key));
        samples++;
      }
      const results = await replies;
      const churned = results.reduce((n, r) => n + r.churned, 0);
      const refused = results.reduce((n, r) => n + r.refused, 0);
      console.log(
        `${kind}: churn of 4 processes x 8 workers x 40 rounds, limit 10: ${churned} granted, ${refused} refused; ` +
          `most held at once ${most} over ${samples} samples`,
      );
      expect(churned + refused).toBe(4 * 8 * 40);
      expect(refused).toBeGreaterThan(0); // the limit was reached
      expect(most).toBeLessThanOrEqual(10);
      expect(await inspect.exists(key)).toBe(0); // all released
    });

    it('allows exactly the limit of attempts, and decides rate limits and quotas of many keys in one script', async () => {
      const tc = await connect(kind, server.port);
      const store = createRedisStore({ client: tc.client, prefix });
      try {
        const verdicts = await Promise.all(Array.from({ length: 20 }, () => store.hit('ip:203.0.113.7', 5, 60_000)));
        expect(verdicts.filter((v) => v.allowed)).toHaveLength(5);
        expect(await inspect.zcard(`${prefix}rate:ip:203.0.113.7`)).toBe(5);
        // Keys that would fall in different slots without the prefix's hash tag: no CROSSSLOT.
        const batch = {
          hits: [
            { key: 'a:ip:1', limit: 2, windowMs: 60_000 },
            { key: 'b:ip:1', limit: 2, windowMs: 1_000 },
          ],
          leases: [
            { key: 'c:key:ada', limit: 1 },
            { key: 'd:key:lobby', limit: 3 },
          ],
        };
        const first = await store.admitBatch(batch);
        expect(first.admitted && first.leases.map((l) => l.key)).toEqual(['c:key:ada', 'd:key:lobby']);
        expect(await store.admitBatch(batch)).toEqual({ admitted: false, refusedBy: 'lease', index: 0 });
        expect(await store.admitBatch(batch)).toMatchObject({ admitted: false, refusedBy: 'rate' });
        await store.renew(); // one script over every held lease's key
        expect(store.stats()).toMatchObject({ leasesHeld: 2, leasesRestored: 0 });
        if (first.admitted) await Promise.all(first.leases.map((lease) => store.release(lease)));
        expect(await inspect.exists(`${prefix}lease:c:key:ada`)).toBe(0);
      } finally {
        await store.close({ release: true });
        await tc.close();
      }
    });

    it('keeps the slots of a SIGKILLed process until its leases expire, then gives them back', async () => {
      const leaseMs = 1_500;
      const victim = await startHolder(kind, server.port, prefix, leaseMs, 500);
      const tc = await connect(kind, server.port);
      const store = createRedisStore({ client: tc.client, prefix, leaseMs });
      const key = `${prefix}lease:room:kill`;
      try {
        victim.send({ op: 'acquire', key: 'room:kill', limit: 30, n: 30 });
        expect((await victim.next('granted')).granted).toHaveLength(30);
        await victim.next('renewed'); // it has renewed them at least once
        const exited = new Promise((resolve) => victim.child.once('exit', resolve));
        victim.child.kill('SIGKILL');
        await exited;
        const killedAt = await redisNow();
        const killedAtWall = performance.now();

        // Right after the kill: all 30 still held.
        expect(await store.acquire('room:kill', 30)).toBeUndefined();
        expect(await inspect.zcard(key)).toBe(30);
        const scores = (await inspect.zrange(key, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
        const expiresAt = Math.min(...scores);
        const lastRenewal = Math.max(...scores) - leaseMs;

        // Then: poll until a slot comes back, never before the leases' expiry.
        let first: Lease | undefined;
        while (first === undefined) {
          first = await store.acquire('room:kill', 30);
          if (first === undefined) await sleep(10);
        }
        const backAt = await redisNow();
        const backAtWall = performance.now();
        expect(backAt).toBeGreaterThanOrEqual(expiresAt);
        const rest = await Promise.all(Array.from({ length: 29 }, () => store.acquire('room:kill', 30)));
        expect(rest.filter((l) => l !== undefined)).toHaveLength(29);
        console.log(
          `${kind}: SIGKILL recovery with leaseMs ${leaseMs}, renewEveryMs 500: slots back ${Math.round(backAtWall - killedAtWall)} ms ` +
            `after the kill, ${backAt - lastRenewal} ms after the victim's last renewal ` +
            `(which was ${killedAt - lastRenewal} ms before the kill); expiry ${expiresAt - killedAt} ms after the kill`,
        );
      } finally {
        await store.close({ release: true });
        await tc.close();
        victim.child.kill('SIGKILL');
      }
    });
  });
});
