/**
 * Admissions asked in the same turn of the event loop go to Redis together, in one ADMIT call that decides
 * them in the order they were asked, each as if alone (see scripts.ts). Under load, one round trip then
 * carries the limits of many handshakes, so the store's cost per handshake (a command, a socket write, a
 * reply to read, a script to start) falls as the load rises. On an idle server an admission waits one turn
 * of the event loop (setImmediate) for company.
 */

/** One handshake's limits: its KEYS, and its ARGV after the call's own two (see ADMIT). */
export interface AdmissionGroup {
  readonly keys: readonly string[];
  readonly args: readonly string[];
}

/** Runs ADMIT over the given KEYS and ARGV; resolves to its reply. */
export type RunAdmit = (keys: string[], args: string[]) => Promise<unknown>;

/**
 * Handshakes decided per call, at most: bounds how long one script keeps Redis busy (a group costs a few
 * commands per limit) and the size of one command.
 */
const MAX_GROUPS = 128;

interface Waiting {
  readonly group: AdmissionGroup;
  readonly resolve: (verdict: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class AdmissionQueue {
  readonly #run: RunAdmit;
  readonly #leaseMs: string;
  #waiting: Waiting[] = [];

  constructor(run: RunAdmit, leaseMs: number) {
    this.#run = run;
    this.#leaseMs = String(leaseMs);
  }

  /** The group's own verdict from ADMIT's reply (unchecked: the caller reads it). */
  admit(group: AdmissionGroup): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) setImmediate(() => this.#flush());
      this.#waiting.push({ group, resolve, reject });
    });
  }

  #flush(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (let from = 0; from < waiting.length; from += MAX_GROUPS) this.#send(waiting.slice(from, from + MAX_GROUPS));
  }

  #send(batch: readonly Waiting[]): void {
    const keys: string[] = [];
    const args = [String(batch.length), this.#leaseMs];
    for (const { group } of batch) {
      keys.push(...group.keys);
      args.push(...group.args);
    }
    this.#run(keys, args).then(
      (reply) => {
        for (const [i, waiting] of batch.entries()) waiting.resolve(Array.isArray(reply) ? reply[i] : reply);
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }
}
