/**
 * The store interfaces of `@wsgate/core` (`src/policy/stores.ts`), restated until core's entry point
 * exports them; `test/store-types.test.ts` fails the type-check if the two ever differ.
 */

export interface Lease {
  readonly key: string;
  readonly id: string;
}

export interface LeaseStore {
  acquire(key: string, limit: number): Lease | undefined | Promise<Lease | undefined>;
  release(lease: Lease): void | Promise<void>;
}

export interface RateVerdict {
  readonly allowed: boolean;
  readonly retryAfterMs: number;
}

export interface RateStore {
  hit(key: string, limit: number, windowMs: number): RateVerdict | Promise<RateVerdict>;
}
