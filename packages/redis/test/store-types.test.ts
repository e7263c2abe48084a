// The store interfaces restated in src/store-types.ts must stay those of @wsgate/core: a difference is a
// type error here, which fails `pnpm lint` (the runtime assertion only keeps vitest counting the file).
import { expect, it } from 'vitest';
import type * as core from '../../core/src/policy/stores.js';
import type { RedisStore } from '../src/index.js';
import type * as restated from '../src/store-types.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const same: [
  Same<core.Lease, restated.Lease>,
  Same<core.LeaseStore, restated.LeaseStore>,
  Same<core.RateVerdict, restated.RateVerdict>,
  Same<core.RateStore, restated.RateStore>,
  Same<RedisStore extends core.LeaseStore & core.RateStore ? true : false, true>,
] = [true, true, true, true, true];

it('restates the store interfaces of @wsgate/core exactly', () => {
  expect(same).toEqual([true, true, true, true, true]);
});
