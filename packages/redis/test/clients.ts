/**
 * The client libraries the store is tested with, each connected to a test server: ioredis 6 and 5,
 * node-redis 6, 5 and 4. `failFast` turns off the clients' offline queues, so that a command sent
 * while Redis is down fails at once instead of waiting for the reconnection (or the store's timeout).
 */

import { Redis as Ioredis6, Cluster as IoredisCluster } from 'ioredis';
import { Redis as Ioredis5 } from 'ioredis5';
import { createClient as createClient6, createCluster } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { createClient as createClient5 } from 'redis5';
import type { RedisClient } from '../src/index.js';

export const clientKinds = ['ioredis', 'ioredis5', 'redis', 'redis5', 'redis4'] as const;
/** Redis Cluster clients, connected through one seed node: ioredis's `Cluster`, node-redis's `createCluster`. */
export const clusterKinds = ['ioredis-cluster', 'redis-cluster'] as const;
export type ClientKind = (typeof clientKinds)[number] | (typeof clusterKinds)[number];

export interface TestClient {
  readonly client: RedisClient;
  /** Client errors seen (connection lost, refused…). */
  readonly errors: unknown[];
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** No offline queue: a command sent while Redis is down fails at once. */
  failFast?: boolean;
  /** Attach no 'error' listener (node-redis would then throw its errors, but for the store's guard). */
  unwatched?: boolean;
}

export async function connect(kind: ClientKind, port: number, options: ConnectOptions = {}): Promise<TestClient> {
  const errors: unknown[] = [];
  const ioredisOptions = { port, host: '127.0.0.1', retryStrategy: () => 100, enableOfflineQueue: !options.failFast };
  const nodeRedisOptions = {
    url: `redis://127.0.0.1:${port}`,
    socket: { reconnectStrategy: () => 100 },
    disableOfflineQueue: options.failFast === true,
  };
  switch (kind) {
    case 'ioredis':
      return ioredis(new Ioredis6(ioredisOptions), errors, options);
    case 'ioredis5':
      return ioredis(new Ioredis5(ioredisOptions), errors, options);
    case 'redis':
      return nodeRedis(createClient6(nodeRedisOptions), errors, options);
    case 'redis5':
      return nodeRedis(createClient5(nodeRedisOptions), errors, options);
    case 'redis4':
      return nodeRedis(createClient4(nodeRedisOptions), errors, options);
    case 'ioredis-cluster': {
      const cluster = new IoredisCluster([{ host: '127.0.0.1', port }], {
        enableOfflineQueue: !options.failFast,
        clusterRetryStrategy: () => 100,
      });
      if (!options.unwatched) cluster.on('error', (error: unknown) => errors.push(error));
      await new Promise((resolve) => cluster.once('ready', resolve));
      return { client: cluster as unknown as RedisClient, errors, close: async () => cluster.disconnect() };
    }
    case 'redis-cluster': {
      const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }] });
      return nodeRedis(cluster as unknown as NodeRedis & RedisClient, errors, options);
    }
  }
}

type Ioredis = Ioredis5 | Ioredis6;

async function ioredis(client: Ioredis, errors: unknown[], options: ConnectOptions): Promise<TestClient> {
  if (!options.unwatched) client.on('error', (error: unknown) => errors.push(error));
  await new Promise((resolve) => client.once('ready', resolve));
  return { client, errors, close: async () => client.disconnect() };
}

interface NodeRedis {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  disconnect(): Promise<unknown>;
  readonly isOpen: boolean;
}

async function nodeRedis(
  client: NodeRedis & RedisClient,
  errors: unknown[],
  options: ConnectOptions,
): Promise<TestClient> {
  if (!options.unwatched) client.on('error', (error: unknown) => errors.push(error));
  await client.connect();
  return {
    client,
    errors,
    close: async () => {
      if (client.isOpen) await client.disconnect();
    },
  };
}
