/**
 * Heartbeats: one timer per route sweeps all of its connections — never one timer per socket — so that
 * 10,000 idle connections cost two passes per interval. A sweep pings every open connection (RFC 6455
 * §5.5.2); `timeout` later, a second pass terminates those whose pong (§5.5.3) has not come back. The
 * terminated connection's 'close' follows at once, and with it the release of its quota leases.
 */

import type { Heartbeat } from '../decision/lifetime-options.js';
import type { Tracked } from './tracked.js';

export class HeartbeatSweep {
  readonly #members = new Set<Tracked>();
  readonly #heartbeat: Heartbeat;
  readonly #onDead: (entry: Tracked) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(heartbeat: Heartbeat, onDead: (entry: Tracked) => void) {
    this.#heartbeat = heartbeat;
    this.#onDead = onDead;
  }

  add(entry: Tracked): void {
    this.#members.add(entry);
    if (this.#timer === undefined) this.#schedule(this.#ping, this.#heartbeat.interval);
  }

  delete(entry: Tracked): void {
    this.#members.delete(entry);
    if (this.#members.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(step: () => void, delay: number): void {
    // Unreferenced: a heartbeat alone never keeps a process alive.
    this.#timer = setTimeout(step, delay).unref();
  }

  readonly #ping = (): void => {
    for (const entry of this.#members) {
      const { socket } = entry;
      if (socket.readyState !== socket.OPEN) continue;
      entry.awaitingPong = true;
      socket.ping();
    }
    this.#schedule(this.#check, this.#heartbeat.timeout);
  };

  readonly #check = (): void => {
    for (const entry of this.#members) {
      if (entry.awaitingPong && entry.socket.readyState === entry.socket.OPEN) this.#onDead(entry);
    }
    this.#schedule(this.#ping, this.#heartbeat.interval - this.#heartbeat.timeout);
  };
}
