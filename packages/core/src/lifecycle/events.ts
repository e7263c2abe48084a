/**
 * What a gate tells the outside: one event per handshake outcome (`onEvent` and diagnostics_channel), a
 * line per refusal while developing (`logRejections`), and programming errors (`onError`). Nothing is
 * built when nobody listens.
 */

import { channel } from 'node:diagnostics_channel';
import type { RejectionCode } from '../protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';
import { logText } from '../util/log-text.js';

export interface HandshakeEvent {
  readonly outcome: 'accept' | 'reject' | 'abort';
  /**
   * The rejection code; for an abort `CLIENT_GONE`, or `HANDSHAKE_TIMEOUT` when the deadline passed before the
   * application's own answer could be delivered (the stream reset, the socket destroyed); undefined when accepted.
   */
  readonly code: RejectionCode | 'CLIENT_GONE' | undefined;
  readonly status: number | undefined;
  readonly route: string | undefined;
  readonly transport: TransportName;
  readonly durationMs: number;
  readonly request: UpgradeRequest;
}

/** node:diagnostics_channel channels, one per outcome. */
export const channels = {
  accept: channel('wsgate:handshake:accept'),
  reject: channel('wsgate:handshake:reject'),
  abort: channel('wsgate:handshake:abort'),
} as const;

export interface EventOptions {
  onEvent?: ((event: HandshakeEvent) => void) | undefined;
  onError?: ((error: unknown, request: UpgradeRequest) => void) | undefined;
  /** One line on stderr per refused handshake. Default: on unless NODE_ENV is `production` or `test`. */
  logRejections?: boolean | undefined;
}

export class GateEvents {
  readonly #onEvent: EventOptions['onEvent'];
  readonly #onError: EventOptions['onError'];
  readonly #log: boolean;

  constructor(options: EventOptions) {
    this.#onEvent = options.onEvent;
    this.#onError = options.onError;
    const env = process.env.NODE_ENV;
    this.#log = options.logRejections ?? (env !== 'production' && env !== 'test');
  }

  publish(
    outcome: HandshakeEvent['outcome'],
    code: HandshakeEvent['code'],
    status: number | undefined,
    route: string | undefined,
    transport: TransportName,
    started: number,
    request: UpgradeRequest,
  ): void {
    const onEvent = this.#onEvent;
    const target = channels[outcome];
    const log = this.#log && outcome === 'reject';
    // Observability costs nothing when nobody listens.
    if (onEvent === undefined && !target.hasSubscribers && !log) return;
    const durationMs = performance.now() - started;
    const event: HandshakeEvent = { outcome, code, status, route, transport, durationMs, request };
    if (target.hasSubscribers) target.publish(event);
    if (onEvent !== undefined) {
      // An observer that throws is the app's bug, reported as one: it must not undo the outcome it observes.
      try {
        onEvent(event);
      } catch (error) {
        this.report(error, request);
      }
    }
    if (log) {
      // The path without its query: a query may carry a token. What the client sent is escaped and bounded.
      const path = logText(route ?? (request.url ?? '').split('?')[0] ?? '');
      const what = `${String(status)} ${logText(String(code))}`;
      console.warn(`wsgate: refused ${what} ${path} (${logText(transport)}, ${durationMs.toFixed(1)} ms)`);
    }
  }

  /** A programming error (a hook that threw, an unsafe header): to `onError`, else to stderr. Never to the client. */
  report(error: unknown, request: UpgradeRequest): void {
    if (this.#onError !== undefined) this.#onError(error, request);
    else console.error('wsgate:', error);
  }
}
