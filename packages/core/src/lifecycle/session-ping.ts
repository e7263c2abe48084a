/**
 * HTTP/2 sessions that carried a WebSocket handshake, pinged while they live (RFC 9113 §6.7), and destroyed
 * when a ping goes unanswered for a whole interval. A client that vanishes without a FIN or a reset (a
 * laptop closed, a NAT that forgot the flow), or whose reset Node missed (nodejs/node#42710, fixed in
 * recent releases), would otherwise keep its session, its descriptor and the WebSockets on its streams —
 * and with them their quota leases — for as long as the process runs. Destroying the session closes its
 * streams, ws closes their sockets, and the leases are given back (connection.ts).
 */

import type { Http2Session } from 'node:http2';

export class SessionPing {
  readonly #sessions: ReadonlySet<Http2Session>;
  readonly #intervalMs: number;
  /** Sessions whose last ping has not been answered yet. */
  readonly #unanswered = new WeakSet<Http2Session>();
  #timer: NodeJS.Timeout | undefined;

  /** Pings every session of `sessions` each `intervalMs` (0 disables). */
  constructor(sessions: ReadonlySet<Http2Session>, intervalMs: number) {
    this.#sessions = sessions;
    this.#intervalMs = intervalMs;
  }

  /** A session was added to the set: the timer runs while the set is not empty. */
  start(): void {
    if (this.#timer !== undefined || this.#intervalMs <= 0) return;
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref(); // never what keeps a process alive
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    if (this.#sessions.size === 0) {
      this.stop();
      return;
    }
    for (const session of this.#sessions) {
      if (session.destroyed) continue;
      if (this.#unanswered.has(session)) {
        session.destroy(); // a whole interval without an answer: the peer is gone
        continue;
      }
      this.#unanswered.add(session);
      try {
        // False when too many pings are outstanding: the mark stays, and the next tick ends the session.
        session.ping((error) => {
          if (error === null) this.#unanswered.delete(session);
        });
      } catch {
        session.destroy(); // Node refuses to ping a session it is tearing down
      }
    }
  }
}
