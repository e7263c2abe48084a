/**
 * The store's one lane to Redis for admissions and releases. At most one call is in flight: whatever is
 * asked meanwhile goes together in the next one. A lane that was idle sends at the end of the turn of the
 * event loop (setImmediate); a busy one sends GATHER_MS after each answer, so that a call carries what came
 * in during the round trip before it and that millisecond. The busier the store, the more each call
 * carries, and the less a handshake costs in Node and in Redis (a command, a write and a read on each side,
 * a script to start). Under load a handshake waits at most a round trip and a millisecond for company.
 *
 * A call is one ADMIT (scripts.ts): the releases first, then the admissions in the order asked, each
 * decided as if alone. A call unanswered after timeoutMs (Redis paused, a partition) stops holding the
 * lane; an admission still waiting when its own timeoutMs is up is not sent at all: its caller was told
 * REDIS_TIMEOUT already, and a lease granted now would have nobody to release it.
 */

import { RedisStoreError } from './errors.js';

/** One handshake's limits: its KEYS, and its ARGV after the call's own (see ADMIT). */
export interface AdmissionGroup {
  readonly keys: readonly string[];
  readonly args: readonly string[];
}

/** A lease to remove: its Redis key (prefixed) and its id. */
export interface Removal {
  readonly key: string;
  readonly id: string;
}

/** Runs ADMIT over the given KEYS and ARGV; resolves to its reply. */
export type RunAdmit = (keys: string[], args: string[]) => Promise<unknown>;

export interface CallQueueOptions {
  readonly run: RunAdmit;
  readonly leaseMs: number;
  readonly timeoutMs: number;
  /** A call carrying releases failed or timed out: the leases expire by themselves after leaseMs. */
  readonly onReleaseFailed: (error: unknown) => void;
}

/**
 * Per call, at most: bounds how long one script keeps Redis busy (a handshake costs a few commands per
 * limit, a release one) and the size of one command.
 */
const MAX_GROUPS = 128;
const MAX_REMOVALS = 1_000;
/**
 * How long the lane waits after an answer before its next call, when it is busy: a call then carries what
 * came in during its predecessor's round trip and this. An idle lane (no answer within it) does not wait.
 */
const GATHER_MS = 1;

interface Waiting {
  readonly group: AdmissionGroup;
  readonly since: number;
  readonly resolve: (verdict: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class CallQueue {
  readonly #options: CallQueueOptions;
  readonly #leaseMs: string;
  #admissions: Waiting[] = [];
  #removals: Removal[] = [];
  /** Settles once the call that carries the last of `#removals` is answered (or timed out). */
  #removed: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  #inFlight = false;
  #scheduled = false;
  #answeredAt = Number.NEGATIVE_INFINITY;

  constructor(options: CallQueueOptions) {
    this.#options = options;
    this.#leaseMs = String(options.leaseMs);
  }

  /** The group's own verdict from ADMIT's reply (unchecked: the caller reads it). */
  admit(group: AdmissionGroup): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#admissions.push({ group, since: performance.now(), resolve, reject });
      this.#schedule();
    });
  }

  /** Removes leases in the next call; settles once that call is answered, never rejects. */
  remove(removals: readonly Removal[]): Promise<void> {
    if (removals.length === 0) return this.settled();
    for (const removal of removals) this.#removals.push(removal);
    if (this.#removed === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((settle) => {
        resolve = settle;
      });
      this.#removed = { promise, resolve };
    }
    this.#schedule();
    return this.#removed.promise;
  }

  /** Settles once every removal asked so far was answered (or timed out). */
  settled(): Promise<void> {
    return this.#removed?.promise ?? Promise.resolve();
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    const send = () => {
      this.#scheduled = false;
      this.#send();
    };
    const wait = this.#answeredAt + GATHER_MS - performance.now();
    if (wait > 0) setTimeout(send, wait);
    else setImmediate(send);
  }

  #send(): void {
    const now = performance.now();
    const admissions = this.#admissions.splice(0, MAX_GROUPS).filter((waiting) => {
      if (now - waiting.since < this.#options.timeoutMs) return true;
      waiting.reject(new RedisStoreError('REDIS_TIMEOUT', 'admit: timed out before it was sent'));
      return false;
    });
    const removals = this.#removals.splice(0, MAX_REMOVALS);
    const removed = this.#removals.length === 0 ? this.#removed : undefined;
    if (removed !== undefined) this.#removed = undefined;
    if (admissions.length === 0 && removals.length === 0) {
      this.#next(); // more than MAX_GROUPS timed out waiting: the rest may too
      return;
    }

    const keys = removals.map((removal) => removal.key);
    const args = [String(removals.length), String(admissions.length), this.#leaseMs];
    for (const removal of removals) args.push(removal.id);
    for (const { group } of admissions) {
      for (const key of group.keys) keys.push(key);
      for (const arg of group.args) args.push(arg);
    }

    this.#inFlight = true;
    let answered = false;
    const answer = (error?: unknown) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (error !== undefined && removals.length > 0) this.#options.onReleaseFailed(error);
      removed?.resolve();
      this.#inFlight = false;
      this.#answeredAt = performance.now();
      this.#next();
    };
    const timer = setTimeout(
      () => answer(new RedisStoreError('REDIS_TIMEOUT', `no answer from Redis within ${this.#options.timeoutMs} ms`)),
      this.#options.timeoutMs,
    );
    timer.unref();
    this.#options.run(keys, args).then(
      (reply) => {
        answer();
        for (const [i, waiting] of admissions.entries()) waiting.resolve(Array.isArray(reply) ? reply[i] : reply);
      },
      (error: unknown) => {
        answer(error);
        for (const waiting of admissions) waiting.reject(error);
      },
    );
  }

  #next(): void {
    if (this.#admissions.length > 0 || this.#removals.length > 0) this.#schedule();
  }
}
