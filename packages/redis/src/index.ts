export { createRedisChannel, type RedisChannel, type RedisChannelOptions } from './channel.js';
export type { IoredisClient, NodeRedisClient, RedisClient } from './client.js';
export { RedisStoreError, type RedisStoreErrorCode } from './errors.js';
export { createRedisStore, type RedisStore, type RedisStoreStats } from './redis-store.js';
export type { RedisStoreOptions } from './settings.js';
export type { Lease, LeaseStore, RateStore, RateVerdict } from './store-types.js';
