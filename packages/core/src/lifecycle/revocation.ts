/**
 * Revocation: `gate.revoke(key)` closes every open connection that belongs to the key (4001 by default)
 * and says how many it closed here. With a `revocationChannel` on the gate (e.g. `@wsgate/redis`'s
 * `createRedisChannel`), the same revocation is published for every other process's gate; without one it
 * is local to this process.
 *
 * Delivery is at most once, like the pub/sub under it: a process that is not subscribed when the message
 * is published (partitioned from Redis, restarting) never sees it. That is why a revocation must also be
 * true where the connection is admitted — the session destroyed in its store — so that a reconnect is
 * refused (401) once the partition heals.
 */

import { randomUUID } from 'node:crypto';
import { CloseCodes, checkCloseCode, checkCloseReason } from './close-codes.js';
import type { Registry } from './registry.js';

/** A key (`'session:abc'`), or named keys (`{ session: 'abc' }`): a connection matches when it carries all of them. */
export type RevocationKey = string | Readonly<Record<string, string | number>>;

export interface RevokeOptions {
  /** The close code. Default 4001 (CloseCodes.revoked). */
  code?: number;
  /** The close reason (at most 123 UTF-8 bytes). Default `'revoked'`. */
  reason?: string;
}

export interface Revocation {
  /** Connections this process closed. */
  readonly closed: number;
  /** Settles once the revocation is handed to the channel (at once without one); rejects if the channel fails. */
  readonly published: Promise<void>;
}

/** What crosses the channel between processes. */
export interface RevocationMessage {
  readonly keys: readonly string[];
  readonly code: number;
  readonly reason: string;
  /** The publishing gate, which already closed its own connections. */
  readonly origin: string;
}

/** A pub/sub channel between the gates of every process (e.g. `@wsgate/redis`'s `createRedisChannel`). */
export interface RevocationChannel {
  publish(message: RevocationMessage): Promise<void>;
  /** Delivers every message published from now on, including this process's own; returns the unsubscribe. */
  subscribe(onMessage: (message: RevocationMessage) => void): () => void;
}

/** The keys a revocation names, as connection keys are written (`name:value`). */
export function revocationKeys(key: RevocationKey): readonly string[] {
  if (typeof key === 'string' && key !== '') return [key];
  if (typeof key === 'object' && key !== null && !Array.isArray(key)) {
    const keys = Object.entries(key).map(([name, value]) => {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new TypeError(
          `wsgate: revoke key ${JSON.stringify(name)} must be a string or number, got ${typeof value}`,
        );
      }
      return `${name}:${value}`;
    });
    if (keys.length > 0) return keys;
  }
  throw new TypeError('wsgate: revoke(key) takes a non-empty string or a record of named keys, e.g. { session: id }');
}

/** A message off the wire, checked: another process (or anyone with access to the channel) wrote it. */
export function parseRevocationMessage(value: unknown): RevocationMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { keys, code, reason, origin } = value as Record<string, unknown>;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'string')) return undefined;
  if (typeof origin !== 'string' || typeof reason !== 'string' || Buffer.byteLength(reason) > 123) return undefined;
  try {
    checkCloseCode(code, 'code');
  } catch {
    return undefined;
  }
  return { keys, code: code as number, reason, origin };
}

export class Revoker {
  readonly #registry: Registry;
  readonly #channel: RevocationChannel | undefined;
  readonly #origin = randomUUID();
  #unsubscribe: (() => void) | undefined;

  constructor(registry: Registry, channel: RevocationChannel | undefined) {
    this.#registry = registry;
    this.#channel = channel;
    this.#unsubscribe = channel?.subscribe((message) => {
      const checked = parseRevocationMessage(message);
      if (checked !== undefined && checked.origin !== this.#origin)
        this.closeLocal(checked.keys, checked.code, checked.reason);
    });
  }

  revoke(key: RevocationKey, options: RevokeOptions = {}): Revocation {
    const keys = revocationKeys(key);
    const code = checkCloseCode(options.code ?? CloseCodes.revoked, 'revoke option "code"');
    const reason = checkCloseReason(options.reason ?? 'revoked', 'revoke option "reason"');
    const closed = this.closeLocal(keys, code, reason);
    const channel = this.#channel;
    const published =
      channel === undefined ? Promise.resolve() : channel.publish({ keys, code, reason, origin: this.#origin });
    // Whoever ignores the promise must not get an unhandled rejection: a failed publish is theirs to await.
    published.catch(() => {});
    return { closed, published };
  }

  closeLocal(keys: readonly string[], code: number, reason: string): number {
    let closed = 0;
    for (const entry of this.#registry.matching(keys)) {
      if (this.#registry.end(entry, 'revoked', code, reason)) closed++;
    }
    return closed;
  }

  /** Stops listening to the channel (the gate closed). */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
