export { createRedisChannel, type RedisChannel, type RedisChannelOptions } from './channel.js';
export type { IoredisClient, NodeRedisClient, NodeRedisClusterClient, RedisClient } from './client.js';
export { RedisStoreError, type RedisStoreErrorCode } from './errors.js';
export { createRedisStore } from './redis-store.js';
export type { RedisStore, RedisStoreStats } from './redis-store-api.js';
export type { RedisStoreOptions } from './settings.js';
export type {
  AcquireOptions,
  BatchStore,
  BatchVerdict,
  Lease,
  LeaseStore,
  LimitBatch,
  RateStore,
  RateVerdict,
} from './store-types.js';
