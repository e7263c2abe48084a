/** The store interfaces this package implements, from `@wsgate/core`. */
export type { Lease, LeaseStore, RateStore, RateVerdict } from '@wsgate/core';
