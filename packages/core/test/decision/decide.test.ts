// decide (src/decision.ts) without sockets: the hook's result (a context, a Rejection returned or thrown, an
// error), what the hook sees, quotas taken after it and given back on every later failure, a gate that began to
// close, a handshake that ended meanwhile. permessage-deflate and the carried headers: decision.headers.test.ts.
import { describe, expect, it, vi } from 'vitest';
import type { Upgrade } from '../../src/decision/hook.js';
import { MemoryLeaseStore } from '../../src/policy/memory-stores.js';
import { quotaPerKey, quotaPerRoute } from '../../src/policy/quota.js';
import { Rejection, reject } from '../../src/protocol/rejection.js';
import { ADMISSION, accepted, decided, inputs, route, site } from './decide-fixtures.js';

describe('decide: the hook', () => {
  it('without a hook: no context, the admission’s protocol, no headers, nothing held', async () => {
    expect(await accepted({})).toEqual({
      protocol: 'chat',
      deflate: undefined,
      headers: {},
      frames: route().frames,
      location: undefined,
      context: undefined,
      leases: undefined,
    });
  });

  it("carries what the transport needs: the route's frame options, and draft-76's Location", async () => {
    const frames = { maxPayload: 1024, closeTimeout: 250 };
    expect((await accepted({ maxPayload: 1024, frames: { closeTimeout: 250 } })).frames).toMatchObject(frames);
    const legacy = await decided(
      route({ legacy: ['hixie-76'] }),
      ADMISSION,
      inputs({ site: site(undefined, 'hixie-76') }),
    );
    expect(legacy).toMatchObject({ location: 'wss://app.example/d' });
  });

  it.each([
    ['returned', (_: Upgrade) => ({ user: 'ada' })],
    ['resolved', async (_: Upgrade) => ({ user: 'ada' })],
  ])('a context %s by the hook is the connection’s', async (_how, onUpgrade) => {
    expect((await accepted({ onUpgrade })).context).toEqual({ user: 'ada' });
  });

  it('the hook sees the admission and the site', async () => {
    let seen: Partial<Upgrade> = {};
    await accepted({
      onUpgrade: (upgrade) => {
        const {
          route: path,
          origin,
          offeredProtocols,
          protocol,
          protocolToken,
          secure,
          host,
          ip,
          transport,
          cookies,
        } = upgrade;
        seen = { route: path, origin, offeredProtocols, protocol, protocolToken, secure, host, ip, transport, cookies };
        return true;
      },
    });
    expect(seen).toEqual({
      route: '/d',
      origin: 'https://app.example',
      offeredProtocols: ['chat'],
      protocol: 'chat',
      protocolToken: 't',
      secure: true,
      host: 'app.example',
      ip: '192.0.2.1',
      transport: 'http/1.1',
      cookies: { a: '1' },
    });
  });

  it('the hook’s signal is the handshake’s, asked for only when the hook reads it', async () => {
    const signal = vi.fn(() => AbortSignal.abort());
    await accepted({ onUpgrade: () => 1 }, { signal });
    expect(signal).not.toHaveBeenCalled();
    await accepted({ onUpgrade: (upgrade) => upgrade.signal.aborted }, { signal });
    expect(signal).toHaveBeenCalledTimes(1);
  });

  const denied = reject.rejected(401, { error: 'login' }, { 'WWW-Authenticate': 'Bearer' });
  it.each([
    ['returned', () => denied],
    ['resolved', async () => denied],
    [
      'thrown',
      () => {
        throw denied;
      },
    ],
    [
      'rejected with',
      async () => {
        throw denied;
      },
    ],
    ['a table row returned', () => reject.originForbidden],
  ])('a Rejection %s by the hook refuses with it', async (_how, onUpgrade) => {
    const result = await decided(route({ onUpgrade }), ADMISSION, inputs());
    expect(result).toBeInstanceOf(Rejection);
    expect([denied, reject.originForbidden]).toContain(result);
  });

  it('upgrade.reject makes the app’s own rejection (REJECTED), checked when made', async () => {
    const result = await decided(route({ onUpgrade: (u) => u.reject(403, 'no') }), ADMISSION, inputs());
    expect(result).toMatchObject({ code: 'REJECTED', status: 403, body: 'no' });
    await expect(decided(route({ onUpgrade: (u) => u.reject(200) }), ADMISSION, inputs())).rejects.toThrow(
      /300 to 599/,
    );
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('boom');
      },
    ],
  ])(
    'a hook that %s an error: decide rejects with it (the caller answers 500 HOOK_FAILED)',
    async (_how, onUpgrade) => {
      await expect(decided(route({ onUpgrade }), ADMISSION, inputs())).rejects.toThrow('boom');
    },
  );

  it('a header the hook may not set is an error at setHeader', async () => {
    const onUpgrade = (upgrade: Upgrade) => upgrade.setHeader('Sec-WebSocket-Accept', 'x');
    await expect(decided(route({ onUpgrade }), ADMISSION, inputs())).rejects.toMatchObject({ code: 'OWNED_HEADER' });
  });

  it('a handshake that ended while the hook ran: nothing decided, even a refusal', async () => {
    let pending = true;
    const end = () => {
      pending = false;
    };
    for (const outcome of [{ user: 1 }, reject.originForbidden]) {
      pending = true;
      const onUpgrade = async () => {
        end();
        return outcome;
      };
      expect(await decided(route({ onUpgrade }), ADMISSION, inputs({ pending: () => pending }))).toBeUndefined();
    }
  });
});

describe('decide: quotas', () => {
  it('are taken after the hook, with its context, and given back by release (once)', async () => {
    const store = new MemoryLeaseStore();
    const quotas = [quotaPerKey(1, ({ context }) => (context as { user: string }).user, { store, name: 'user' })];
    const accept = await accepted({ quotas, onUpgrade: () => ({ user: 'ada' }) });
    expect(store.held('n.user:key:ada')).toBe(1);
    accept.leases?.release();
    accept.leases?.release();
    expect(store.held()).toBe(0);
  });

  it('a full quota: 429 QUOTA_EXCEEDED with its Retry-After, and what the others took is given back', async () => {
    const routeStore = new MemoryLeaseStore();
    const full = new MemoryLeaseStore();
    full.acquire('n.k:key:k', 1);
    const quotas = [
      quotaPerRoute(5, { store: routeStore }),
      quotaPerKey(1, () => 'k', { store: full, retryAfter: 7, name: 'k' }),
    ];
    const result = await decided(route({ quotas }), ADMISSION, inputs());
    expect(result).toMatchObject({ code: 'QUOTA_EXCEEDED', status: 429, headers: { 'Retry-After': 7 } });
    expect(routeStore.held()).toBe(0);
  });

  it('a quota whose key is undefined is skipped', async () => {
    const store = new MemoryLeaseStore();
    await accepted({ quotas: [quotaPerKey(1, () => undefined, { store })] });
    expect(store.held()).toBe(0);
  });

  it('a store that fails: 503 STORE_UNAVAILABLE (fail-closed, reported) or admitted without it (fail-open)', async () => {
    const broken = { acquire: () => Promise.reject(new Error('down')), release: () => {} };
    const report = vi.fn();
    const closed = await decided(
      route({ quotas: [quotaPerRoute(1, { store: broken })] }),
      ADMISSION,
      inputs({ report }),
    );
    expect(closed).toBe(reject.storeUnavailable);
    expect(report).toHaveBeenCalledWith(expect.objectContaining({ message: 'down' }));
    const open = await accepted({ quotas: [quotaPerRoute(1, { store: broken, onStoreError: 'fail-open' })] });
    expect(open.context).toBeUndefined();
  });

  it('a handshake that ended while a store answered: undefined, and the lease given back', async () => {
    const store = new MemoryLeaseStore();
    let pending = true;
    const slow = {
      acquire: async (key: string, limit: number) => {
        pending = false;
        return store.acquire(key, limit);
      },
      release: (lease: Parameters<MemoryLeaseStore['release']>[0]) => store.release(lease),
    };
    const result = await decided(
      route({ quotas: [quotaPerRoute(1, { store: slow })] }),
      ADMISSION,
      inputs({ pending: () => pending }),
    );
    expect(result).toBeUndefined();
    expect(store.held()).toBe(0);
  });

  it('a quota key that throws: decide rejects, and what the quotas before it took is given back', async () => {
    const store = new MemoryLeaseStore();
    const quotas = [
      quotaPerRoute(5, { store }),
      quotaPerKey(1, () => {
        throw new Error('bad key');
      }),
    ];
    await expect(decided(route({ quotas }), ADMISSION, inputs())).rejects.toThrow('bad key');
    expect(store.held()).toBe(0);
  });

  it('the gate began to close while the hook ran: 503 SHUTTING_DOWN, the leases given back', async () => {
    const store = new MemoryLeaseStore();
    const result = await decided(
      route({ quotas: [quotaPerRoute(5, { store })] }),
      ADMISSION,
      inputs({ closing: () => true }),
    );
    expect(result).toBe(reject.shuttingDown);
    expect(store.held()).toBe(0);
  });
});
