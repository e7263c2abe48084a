/**
 * How the store talks to Redis: every command counted (one round trip each), scripts by EVALSHA with
 * an EVAL on NOSCRIPT (which also caches the script on the node that runs it: on a cluster, the node
 * that owns the keys), and every call bounded by a timeout that turns a silent Redis into a coded error.
 */

import type { SendCommand } from './client.js';
import { isNoScript, RedisStoreError, toStoreError } from './errors.js';
import type { Script } from './scripts.js';

export class Commands {
  readonly #send: SendCommand;
  readonly #timeoutMs: number;
  readonly #loading = new Map<string, Promise<void>>();
  /** Commands sent. */
  sent = 0;
  /** Scripts loaded after a NOSCRIPT. */
  scriptLoads = 0;
  /** Set by the store on the client's first error of an outage, cleared by the next answer. */
  outage = false;

  constructor(send: SendCommand, timeoutMs: number) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
  }

  send(args: string[], key?: string): Promise<unknown> {
    this.sent++;
    return this.#send(args, key).then((reply) => {
      this.outage = false;
      return reply;
    });
  }

  /**
   * EVALSHA, and on NOSCRIPT (Redis restarted, failed over, or flushed its scripts) load the script once
   * (however many calls met NOSCRIPT) on the node that owns the keys, and retry. A cluster client that
   * cannot route SCRIPT LOAD by key (ioredis sends it to any node) meets NOSCRIPT again: then EVAL.
   */
  async eval(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.send(['EVALSHA', script.sha, ...tail], keys[0]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
    }
    await this.#load(script, keys[0]);
    try {
      return await this.send(['EVALSHA', script.sha, ...tail], keys[0]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await this.send(['EVAL', script.body, ...tail], keys[0]);
    }
  }

  /** Loads a script once however many calls met NOSCRIPT at the same time. */
  #load(script: Script, key: string | undefined): Promise<void> {
    let loading = this.#loading.get(script.sha);
    if (loading === undefined) {
      loading = this.send(['SCRIPT', 'LOAD', script.body], key)
        .then(() => {
          this.scriptLoads++;
        })
        .finally(() => this.#loading.delete(script.sha));
      this.#loading.set(script.sha, loading);
    }
    return loading;
  }

  /**
   * The answer within timeoutMs, or REDIS_TIMEOUT; other failures become coded errors too. A command
   * cannot be recalled: when its answer comes after the timeout it goes to `late` (an acquire's lease
   * must then be given back).
   */
  bounded<T>(doing: string, work: Promise<T>, late?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new RedisStoreError('REDIS_TIMEOUT', `${doing}: no answer from Redis within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      timer.unref();
      work.then(
        (value) => {
          if (timedOut) late?.(value);
          else {
            clearTimeout(timer);
            resolve(value);
          }
        },
        (error: unknown) => {
          if (timedOut) return;
          clearTimeout(timer);
          reject(toStoreError(error, doing));
        },
      );
    });
  }
}
