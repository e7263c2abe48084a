/**
 * The two client libraries the store accepts, told apart by shape, and one `send(args)` for each:
 * ioredis runs any command through `client.call(name, ...args)`, node-redis (v4 to v6) through
 * `client.sendCommand([name, ...args])`. Nothing else of either library is used, so neither is a
 * dependency; the user passes a client they configured and connected.
 */

/** An ioredis client (`new Redis(…)`). */
export interface IoredisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** A node-redis client (`createClient(…)`, connected). */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>;
}

export type RedisClient = IoredisClient | NodeRedisClient;

export type SendCommand = (args: string[]) => Promise<unknown>;

interface Probe {
  call?: unknown;
  sendCommand?: unknown;
  isCluster?: unknown;
  getSlotMaster?: unknown;
}

/** The command function for `client`; a TypeError naming the option for anything else. */
export function commandSender(client: RedisClient): SendCommand {
  const probe = (typeof client === 'object' && client !== null ? client : {}) as Probe;
  // Cluster clients route each command by its first key; the heartbeat renews leases of many keys in
  // one script, which a cluster would refuse (CROSSSLOT).
  if (probe.isCluster === true || typeof probe.getSlotMaster === 'function')
    throw new TypeError('wsgate/redis: createRedisStore({ client }) does not support Redis Cluster clients');
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
