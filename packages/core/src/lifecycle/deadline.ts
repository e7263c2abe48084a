/**
 * The handshake deadline and its AbortSignal. The deadline runs from the request (not from when a route
 * was found), so that middleware and hooks share one budget; the signal tells a hook that its work is
 * no longer wanted, because the client went away or the deadline passed.
 */

export class Deadline {
  readonly started: number;
  #timer: NodeJS.Timeout | undefined;
  #ms: number | undefined;
  #abort: AbortController | undefined;

  constructor(started: number) {
    this.started = started;
  }

  /** Whether a timer is running. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** (Re)starts the timer so that it fires `ms` after the request; 0 disables it. */
  set(ms: number, expire: () => void): void {
    if (this.#timer !== undefined && this.#ms === ms) return;
    this.clear();
    this.#ms = ms;
    if (ms <= 0) return;
    const remaining = Math.max(0, ms - (performance.now() - this.started));
    this.#timer = setTimeout(expire, remaining);
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Aborted when the handshake fails; made on first use, so that a hook that never asks costs nothing. */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    return this.#abort.signal;
  }

  /** Aborts the signal, made now if nobody asked yet: a hook that reads it later must find it aborted. */
  abort(): void {
    this.#abort ??= new AbortController();
    this.#abort.abort();
  }
}
