// A gate process killed with SIGKILL while it holds 30 connections' leases: nothing releases them, so the
// slots stay taken until the leases expire (at most leaseMs after the victim's last renewal), then come back to
// the other processes — not one before. Times are Redis's own (TIME), the clock the leases expire by.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  closeAll,
  describeWithRedis,
  type GateProcess,
  handshake,
  type RedisServer,
  redisNow,
  sleep,
  startGateProcess,
  startRedisServer,
  tally,
} from './support.js';

const LEASE_MS = 1_500;
const SURVIVOR_LEASE_MS = 60_000;
const PER_USER = 30;

describeWithRedis('a gate process killed while holding leases', () => {
  let redis: RedisServer;
  let inspect: Redis;
  let survivor: GateProcess;
  let victim: GateProcess;
  const prefix = 'sigkill:';
  const key = `${prefix}lease:n.user:key:dan`;
  beforeAll(async () => {
    redis = await startRedisServer();
    inspect = new Redis({ host: '127.0.0.1', port: redis.port });
    const config = { redisPort: redis.port, prefix, perUser: PER_USER };
    [survivor, victim] = await Promise.all([
      startGateProcess({ ...config, leaseMs: SURVIVOR_LEASE_MS }),
      startGateProcess({ ...config, leaseMs: LEASE_MS, renewEveryMs: 500 }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await closeAll();
    victim?.child.kill('SIGKILL');
    await survivor?.stop();
    inspect?.disconnect();
    await redis?.stop();
  });

  it('keeps its 30 slots until the leases expire, then gives all 30 back to the other processes', async () => {
    const held = await Promise.all(Array.from({ length: PER_USER }, () => handshake(victim.url('/chat?user=dan'))));
    expect(tally(held)).toEqual({ 101: PER_USER });
    // Renewed at least once, so that expiry follows from the heartbeat, not from the acquires.
    while ((await victim.ask('stats', 'stats')).stats.heartbeats < 1) await sleep(50);
    const victimLeases = new Set(await inspect.zrange(key, '0', '-1'));
    expect(victimLeases.size).toBe(PER_USER);

    const gone = held.map((o) => new Promise((resolve) => o.socket?.once('close', resolve)));
    victim.child.kill('SIGKILL');
    await Promise.all(gone); // every client saw its connection end
    const killedAt = await redisNow(inspect);
    const killedAtWall = performance.now();
    const expiries = (await inspect.zrange(key, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    expect(expiries).toHaveLength(PER_USER); // the kill released nothing
    const firstExpiry = Math.min(...expiries);
    const lastExpiry = Math.max(...expiries);
    // Within the lease time: every lease was last renewed before the kill.
    expect(lastExpiry).toBeLessThanOrEqual(killedAt + LEASE_MS);

    // The survivor refuses dan until the first lease expires; its first 101 takes a lease whose own
    // expiry says when Redis granted it (granted at + SURVIVOR_LEASE_MS): not before that expiry.
    let first = await handshake(survivor.url('/chat?user=dan'));
    let refusals = 0;
    while (first.status === 429) {
      refusals++;
      await sleep(20);
      first = await handshake(survivor.url('/chat?user=dan'));
    }
    const backAtWall = performance.now();
    expect(first.status).toBe(101);
    expect(refusals).toBeGreaterThan(0);
    const fresh = (await inspect.zrange(key, '0', '-1', 'WITHSCORES')).flatMap((member, i, all) =>
      i % 2 === 0 && !victimLeases.has(member) ? [Number(all[i + 1])] : [],
    );
    expect(fresh).toHaveLength(1);
    const grantedAt = (fresh[0] as number) - SURVIVOR_LEASE_MS;
    expect(grantedAt).toBeGreaterThanOrEqual(firstExpiry);

    // Once the last one has expired, all 30 are the survivor's to give, and not one more.
    while ((await redisNow(inspect)) <= lastExpiry) await sleep(20);
    const rest = await Promise.all(Array.from({ length: PER_USER }, () => handshake(survivor.url('/chat?user=dan'))));
    expect(tally(rest)).toEqual({ 101: PER_USER - 1, 429: 1 });
    expect(await inspect.zcard(key)).toBe(PER_USER);
    console.log(
      `SIGKILL recovery (leaseMs ${LEASE_MS}, renewEveryMs 500): first slot back ${Math.round(backAtWall - killedAtWall)} ms ` +
        `after the kill (Redis: granted ${grantedAt - killedAt} ms after the kill, the first lease expired ` +
        `${firstExpiry - killedAt} ms after it; the victim last renewed ${lastExpiry - LEASE_MS - killedAt} ms relative to the kill)`,
    );
    expect(survivor.errors).toEqual([]);
  });
});
