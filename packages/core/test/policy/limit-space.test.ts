// Key spaces (policy/limit-space.ts, policy/limits.ts): which limits count apart and which together, and the
// `name` option's check. The end-to-end proof over real sockets, with memory and Redis, is test/cluster/key-spaces.
import { describe, expect, it } from 'vitest';
import { compileLimits } from '../../src/policy/limits.js';
import { MemoryLeaseStore } from '../../src/policy/memory-stores.js';
import { quotaPerIp, quotaPerKey, quotaPerRoute } from '../../src/policy/quota.js';
import { rateLimitPerIp, rateLimitPerKey } from '../../src/policy/rate-limit.js';

const byUser = ({ context }: { context: unknown }) => (context as { user: string }).user;
const keyBy =
  (field: string) =>
  ({ context }: { context: unknown }) =>
    (context as Record<string, string>)[field];

const spacesOf = (
  route: string,
  rates: Parameters<typeof compileLimits>[1],
  quotas: Parameters<typeof compileLimits>[2],
) => {
  const limits = compileLimits(route, rates, quotas);
  return [...limits.early, ...limits.joined, ...limits.quotas].map(({ space }) => space);
};

describe('limit key spaces', () => {
  it.each([
    [
      'two windows of one kind on one route',
      () => [rateLimitPerIp(5, { per: '1s' }), rateLimitPerIp(10, { per: '1m' })],
    ],
    ['two windows alike on one route', () => [rateLimitPerIp(5), rateLimitPerIp(5)]],
    ['two key functions', () => [rateLimitPerKey(5, () => 'a'), rateLimitPerKey(5, () => 'b')]],
  ])('%s: apart', (_, make) => {
    const [a, b] = spacesOf('/r', make(), []);
    expect(a).not.toBe(b);
  });

  it.each([
    ['a per-user and a per-room quotaPerKey', () => [quotaPerKey(1, keyBy('user')), quotaPerKey(1, keyBy('room'))]],
    ['a per-IP quota and a per-route quota', () => [quotaPerIp(1), quotaPerRoute(1)]],
  ])('%s: apart, even with the same source', (_, make) => {
    const [a, b] = spacesOf('/q', [], make());
    expect(a).not.toBe(b);
  });

  it('the same object on two routes is one space; two calls on two routes are two', () => {
    const shared = quotaPerKey(1, byUser);
    expect(spacesOf('/a', [], [shared])).toEqual(spacesOf('/b', [], [shared]));
    expect(spacesOf('/a', [], [quotaPerKey(1, byUser)])).not.toEqual(spacesOf('/b', [], [quotaPerKey(1, byUser)]));
  });

  it('derives the same spaces from the same code (another process), and a name is the space', () => {
    expect(spacesOf('/a', [rateLimitPerIp(3)], [quotaPerKey(1, byUser)])).toEqual(
      spacesOf('/a', [rateLimitPerIp(3)], [quotaPerKey(1, byUser)]),
    );
    expect(spacesOf('/a', [], [quotaPerKey(1, byUser, { name: 'users' }), quotaPerIp(2, { name: 'users' })])).toEqual([
      'n.users',
      'n.users',
    ]);
  });

  it.each([[''], ['a b'], ['a:b'], ['x'.repeat(101)], [7]])(
    'refuses the name %j with a TypeError naming it',
    (name) => {
      expect(() => quotaPerIp(1, { name: name as string })).toThrow(/quotaPerIp: option "name"/);
      expect(() => rateLimitPerIp(1, { name: name as string })).toThrow(/rateLimitPerIp: option "name"/);
    },
  );

  it('joins a rate limit to the quotas only on a store that decides batches and holds one of them', () => {
    const lease = new MemoryLeaseStore();
    const batching = Object.assign(new MemoryLeaseStore(), { hit: () => ({ allowed: true, retryAfterMs: 0 }) });
    const alone = compileLimits('/a', [rateLimitPerIp(1)], [quotaPerIp(1, { store: lease })]);
    expect([alone.early.length, alone.joined.length]).toEqual([1, 0]);
    const joined = compileLimits('/a', [rateLimitPerIp(1, { store: batching })], [quotaPerIp(1, { store: batching })]);
    expect([joined.early.length, joined.joined.length]).toEqual([0, 1]);
  });
});

describe('MemoryLeaseStore.admitBatch', () => {
  it('takes every lease or none', () => {
    const store = new MemoryLeaseStore();
    store.acquire('b', 1);
    const refused = store.admitBatch({
      hits: [],
      leases: [
        { key: 'a', limit: 1 },
        { key: 'b', limit: 1 },
      ],
    });
    expect(refused).toEqual({ admitted: false, refusedBy: 'lease', index: 1 });
    expect(store.held('a')).toBe(0);
    const admitted = store.admitBatch({
      hits: [],
      leases: [
        { key: 'a', limit: 1 },
        { key: 'c', limit: 1 },
      ],
    });
    expect(admitted.admitted && admitted.leases.map((l) => l.key)).toEqual(['a', 'c']);
    expect(() => store.admitBatch({ hits: [{ key: 'a', limit: 1, windowMs: 1 }], leases: [] })).toThrow(TypeError);
  });
});
