/**
 * The revocation channel between the gates of every process: `gate.revoke(key)` publishes, every other
 * gate closes its matching connections. Made from the client the stores use: publishing goes through
 * it, and a duplicate of it (a connection in subscriber mode can run no other command, RESP2) subscribes.
 *
 * On Redis Cluster, pub/sub messages are broadcast to every node; Redis 7's sharded pub/sub
 * (`SPUBLISH` / `SSUBSCRIBE`) keeps a channel on the shard that owns its slot instead. `sharded` picks it
 * (default: on for cluster clients, off otherwise).
 *
 * Delivery is Redis pub/sub's: at most once, to the subscribers connected at that moment. A process
 * partitioned from Redis when a revocation is published never gets it (see the README): the revocation
 * must also hold where connections are admitted (the session destroyed in its store).
 */

import { parseRevocationMessage, type RevocationChannel, type RevocationMessage } from '@wsgate/core';

type Listener = (message: string) => void;

/** What the channel uses of an ioredis client (`Redis` or `Cluster`). */
interface IoredisPubSub {
  call(command: string, ...args: string[]): Promise<unknown>;
  duplicate(): IoredisPubSub;
  subscribe(channel: string): Promise<unknown>;
  ssubscribe?(channel: string): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  spublish?(channel: string, message: string): Promise<unknown>;
}

/** What the channel uses of a node-redis client (v4 to v6). */
interface NodeRedisPubSub {
  duplicate(): NodeRedisPubSub;
  connect(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  subscribe(channel: string, listener: Listener): Promise<unknown>;
  sSubscribe?(channel: string, listener: Listener): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  sPublish?(channel: string, message: string): Promise<unknown>;
  quit?(): Promise<unknown>;
  close?(): Promise<unknown>;
}

export interface RedisChannelOptions {
  /** The ioredis or node-redis client the stores use (connected); the channel duplicates it to subscribe. */
  client: unknown;
  /** The pub/sub channel's name. Default `'wsgate:revocations'`. */
  name?: string;
  /** Sharded pub/sub (Redis ≥ 7). Default: on for a cluster client, off otherwise. */
  sharded?: boolean;
  /** Errors of the subscriber connection and messages that fail to parse. Default: `console.error`. */
  onError?: (error: unknown) => void;
}

export interface RedisChannel extends RevocationChannel {
  /** Resolves once the subscriber is subscribed: revocations published from then on reach this process. */
  readonly ready: Promise<void>;
  /** Unsubscribes and closes the subscriber connection (the client you passed stays open). */
  close(): Promise<void>;
}

export function createRedisChannel(options: RedisChannelOptions): RedisChannel {
  const {
    client,
    name = 'wsgate:revocations',
    onError = (error) => console.error('wsgate/redis channel:', error),
  } = options;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('wsgate/redis: createRedisChannel option "name" must be a non-empty string');
  }
  const probe = (typeof client === 'object' && client !== null ? client : {}) as Record<string, unknown>;
  if (typeof probe.duplicate !== 'function' || typeof probe.publish !== 'function') {
    throw new TypeError('wsgate/redis: createRedisChannel({ client }) needs an ioredis or node-redis client');
  }
  const cluster = probe.isCluster === true || typeof probe.getSlotMaster === 'function';
  const sharded = options.sharded ?? cluster;
  const listeners = new Set<(message: RevocationMessage) => void>();
  const deliver: Listener = (text) => {
    let message: RevocationMessage | undefined;
    try {
      message = parseRevocationMessage(JSON.parse(text));
    } catch {
      message = undefined;
    }
    if (message === undefined) {
      onError(new Error(`wsgate/redis: ignored a malformed message on ${name}`));
      return;
    }
    for (const listener of listeners) listener(message);
  };
  const ioredis = typeof probe.call === 'function';
  const { ready, close, publish } = ioredis
    ? ioredisChannel(client as IoredisPubSub, name, sharded, deliver, onError)
    : nodeRedisChannel(client as NodeRedisPubSub, name, sharded, deliver, onError);
  // A failure to subscribe is reported; whoever awaits `ready` sees it too.
  ready.catch(onError);
  return {
    ready,
    close,
    async publish(message) {
      await publish(JSON.stringify(message));
    },
    subscribe(onMessage) {
      listeners.add(onMessage);
      return () => listeners.delete(onMessage);
    },
  };
}

interface Wiring {
  ready: Promise<void>;
  close(): Promise<void>;
  publish(text: string): Promise<unknown>;
}

function ioredisChannel(
  client: IoredisPubSub,
  name: string,
  sharded: boolean,
  deliver: Listener,
  onError: (error: unknown) => void,
): Wiring {
  if (sharded && (typeof client.ssubscribe !== 'function' || typeof client.spublish !== 'function')) {
    throw new TypeError('wsgate/redis: this ioredis has no sharded pub/sub (ssubscribe/spublish): use sharded: false');
  }
  const subscriber = client.duplicate();
  subscriber.on('error', onError);
  subscriber.on(sharded ? 'smessage' : 'message', (channel, text) => {
    if (channel === name) deliver(String(text));
  });
  // ioredis resubscribes by itself after a reconnection.
  const ready = (sharded ? subscriber.ssubscribe?.(name) : subscriber.subscribe(name))?.then(() => {}) as Promise<void>;
  return {
    ready,
    close: async () => {
      await subscriber.quit().catch(() => {});
    },
    publish: (text) => (sharded ? (client.spublish?.(name, text) as Promise<unknown>) : client.publish(name, text)),
  };
}

function nodeRedisChannel(
  client: NodeRedisPubSub,
  name: string,
  sharded: boolean,
  deliver: Listener,
  onError: (error: unknown) => void,
): Wiring {
  if (sharded && (typeof client.sSubscribe !== 'function' || typeof client.sPublish !== 'function')) {
    throw new TypeError(
      'wsgate/redis: this node-redis has no sharded pub/sub (sSubscribe/sPublish): use sharded: false',
    );
  }
  const subscriber = client.duplicate();
  subscriber.on('error', onError);
  // node-redis resubscribes by itself after a reconnection.
  const ready = subscriber
    .connect()
    .then(() => (sharded ? subscriber.sSubscribe?.(name, deliver) : subscriber.subscribe(name, deliver)))
    .then(() => {});
  return {
    ready,
    close: async () => {
      await ready.catch(() => {});
      const end = subscriber.close ?? subscriber.quit;
      await end?.call(subscriber).catch(() => {});
    },
    publish: (text) => (sharded ? (client.sPublish?.(name, text) as Promise<unknown>) : client.publish(name, text)),
  };
}
