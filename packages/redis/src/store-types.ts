/** The store interfaces this package implements, from `@wsgate/core`. */
export type {
  AcquireOptions,
  BatchStore,
  BatchVerdict,
  Lease,
  LeaseStore,
  LimitBatch,
  RateStore,
  RateVerdict,
} from '@wsgate/core';
