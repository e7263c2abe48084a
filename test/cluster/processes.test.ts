// Four processes, each a gate on its own port, sharing one Redis, as behind a load balancer: a per-user quota
// (quotaPerKey on the hook's context) and a per-IP handshake rate limit hold across all of them, with real
// ws clients; a closed connection's slot is free again in every process.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import {
  closeAll,
  describeWithRedis,
  type GateProcess,
  handshake,
  type RedisServer,
  startGateProcess,
  startRedisServer,
  tally,
} from './support.js';

const PER_USER = 3;
const RATE = 8;

describeWithRedis('a quota and a rate limit shared by 4 gate processes', () => {
  let redis: RedisServer;
  let inspect: Redis;
  let gates: GateProcess[] = [];
  const prefix = 'processes:';
  beforeAll(async () => {
    redis = await startRedisServer();
    inspect = new Redis({ host: '127.0.0.1', port: redis.port });
    gates = await Promise.all(
      Array.from({ length: 4 }, () =>
        startGateProcess({ redisPort: redis.port, prefix, perUser: PER_USER, ratePerWindow: RATE, window: '60s' }),
      ),
    );
  }, 60_000);
  afterEach(async () => {
    await closeAll();
    for (const gate of gates) expect(gate.errors).toEqual([]);
  });
  afterAll(async () => {
    await Promise.all(gates.map((gate) => gate.stop()));
    // Each process gave back what it held when it stopped: nothing is left under the prefix.
    if (inspect !== undefined) expect(await inspect.keys(`${prefix}lease:*`)).toEqual([]);
    inspect?.disconnect();
    await redis?.stop();
  });

  it(`admits exactly ${PER_USER} connections of one user out of 12 spread over the 4 processes, others unaffected`, async () => {
    const attempts = gates.flatMap((gate) => Array.from({ length: 3 }, () => handshake(gate.url('/chat?user=ada'))));
    const outcomes = await Promise.all(attempts);
    expect(tally(outcomes)).toEqual({ 101: PER_USER, 429: 12 - PER_USER });
    for (const refused of outcomes.filter((o) => o.status === 429)) {
      expect([refused.code, refused.retryAfter, refused.body]).toEqual([
        'QUOTA_EXCEEDED',
        '1',
        '429 Too Many Requests: QUOTA_EXCEEDED\n',
      ]);
    }
    expect(await inspect.zcard(`${prefix}lease:n.user:key:ada`)).toBe(PER_USER);
    // Another user has slots of their own, on any process.
    const bob = await Promise.all(gates.map((gate) => handshake(gate.url('/chat?user=bob'))));
    expect(tally(bob)).toEqual({ 101: PER_USER, 429: 4 - PER_USER });
    expect(await Promise.all(bob.filter((o) => o.socket).map((o) => o.greeting))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^hello bob from \d+$/)]),
    );
  });

  it('frees a slot in every process when a connection closes, whichever process held it', async () => {
    const held = [];
    for (const gate of gates.slice(0, PER_USER)) held.push(await handshake(gate.url('/chat?user=cy')));
    expect(held.map((o) => o.status)).toEqual(Array(PER_USER).fill(101));
    const last = gates[3] as GateProcess;
    expect((await handshake(last.url('/chat?user=cy'))).status).toBe(429);

    held[0]?.socket?.close(); // held by the first process
    await vi.waitFor(async () => expect(await inspect.zcard(`${prefix}lease:n.user:key:cy`)).toBe(PER_USER - 1));
    const again = await handshake(last.url('/chat?user=cy'));
    expect(again.status).toBe(101);
    expect(await again.greeting).toMatch(new RegExp(`^hello cy from ${last.child.pid}$`));
    expect((await handshake(gates[1]!.url('/chat?user=cy'))).status).toBe(429);

    await closeAll();
    await vi.waitFor(async () => expect(await inspect.exists(`${prefix}lease:n.user:key:cy`)).toBe(0));
    const stats = await Promise.all(gates.map((gate) => gate.ask('stats', 'stats')));
    expect(stats.map((s) => [s.stats.leasesHeld, s.open])).toEqual(Array(4).fill([0, 0]));
  });

  it(`lets exactly ${RATE} handshakes per IP into the window across the processes, then 429 with Retry-After`, async () => {
    // Concurrently, 3 per process: exactly RATE get in, whichever process they reach.
    const outcomes = await Promise.all(gates.flatMap((gate) => [1, 2, 3].map(() => handshake(gate.url('/limited')))));
    expect(tally(outcomes)).toEqual({ 101: RATE, 429: 12 - RATE });
    expect(await inspect.zcard(`${prefix}rate:n.ip:ip:127.0.0.1`)).toBe(RATE); // refused attempts are not counted
    await closeAll(); // a rate limit counts handshakes, not connections: closing frees nothing
    for (const gate of gates) {
      const next = await handshake(gate.url('/limited'));
      expect([next.status, next.code, next.body]).toEqual([
        429,
        'RATE_LIMITED',
        '429 Too Many Requests: RATE_LIMITED\n',
      ]);
      // The oldest of the 8 attempts leaves the 60 s window first: at most 60 s from now, rounded up.
      expect(Number(next.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(next.retryAfter)).toBeLessThanOrEqual(60);
    }
  });
});
