/**
 * The two client libraries the store accepts, told apart by shape, and one `send(args, key)` for each:
 * ioredis runs any command through `client.call(name, ...args)` (its Cluster too, routing by the
 * command's keys), node-redis (v4 to v6) through `client.sendCommand([name, ...args])`, and its cluster
 * (`createCluster`) through `sendCommand(firstKey, isReadonly, args)`, routed by the key given. Nothing
 * else of either library is used, so neither is a dependency; the user passes a client they configured
 * and connected.
 */

/** An ioredis client (`new Redis(…)`). */
export interface IoredisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** A node-redis client (`createClient(…)`, connected). */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A node-redis cluster client (`createCluster(…)`, connected). */
export interface NodeRedisClusterClient {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  getSlotMaster(slot: number): unknown;
}

export type RedisClient = IoredisClient | NodeRedisClient | NodeRedisClusterClient;

/** Sends one command; `key`, one of the keys it touches, routes it on a cluster (ignored otherwise). */
export type SendCommand = (args: string[], key?: string) => Promise<unknown>;

interface Probe {
  call?: unknown;
  sendCommand?: unknown;
  isCluster?: unknown;
  getSlotMaster?: unknown;
}

/** Whether `client` is a Redis Cluster client (ioredis `Cluster`, node-redis `createCluster`). */
export function isClusterClient(client: RedisClient): boolean {
  const probe = (typeof client === 'object' && client !== null ? client : {}) as Probe;
  return probe.isCluster === true || typeof probe.getSlotMaster === 'function';
}

/** The command function for `client`; a TypeError naming the option for anything else. */
export function commandSender(client: RedisClient): SendCommand {
  const probe = (typeof client === 'object' && client !== null ? client : {}) as Probe;
  if (typeof probe.getSlotMaster === 'function' && typeof probe.sendCommand === 'function') {
    const cluster = client as NodeRedisClusterClient;
    return (args, key) => cluster.sendCommand(key, false, args);
  }
  // ioredis also has a `sendCommand`, taking a Command object: `call` decides first.
  if (typeof probe.call === 'function') {
    const ioredis = client as IoredisClient;
    return (args) => ioredis.call(args[0] as string, ...args.slice(1));
  }
  if (typeof probe.sendCommand === 'function') {
    const nodeRedis = client as NodeRedisClient;
    return (args) => nodeRedis.sendCommand(args);
  }
  throw new TypeError('wsgate/redis: createRedisStore({ client }) needs an ioredis or node-redis client');
}

interface Emitter {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  off(event: 'error', listener: (error: unknown) => void): unknown;
  listenerCount(event: 'error'): number;
}

/**
 * node-redis throws a client's 'error' event when nobody listens, which ends the process on the first
 * lost connection. When the user attached no listener, the store attaches one (and removes it on
 * close); returns the function that removes it.
 */
export function guardErrorEvents(client: RedisClient, listener: (error: unknown) => void): () => void {
  const emitter = client as Partial<Emitter>;
  if (typeof emitter.on !== 'function' || typeof emitter.off !== 'function') return () => {};
  if (typeof emitter.listenerCount === 'function' && emitter.listenerCount('error') > 0) return () => {};
  emitter.on('error', listener);
  return () => emitter.off?.('error', listener);
}
