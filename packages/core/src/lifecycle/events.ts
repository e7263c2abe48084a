/**
 * What a gate tells the outside: one event per handshake outcome (`onEvent` and diagnostics_channel), a
 * line per refusal while developing (`logRejections`), and programming errors (`onError`). Nothing is
 * built when nobody listens.
 */

import { channel } from 'node:diagnostics_channel';
import type { RejectionCode } from '../protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';

export interface HandshakeEvent {
  readonly outcome: 'accept' | 'reject' | 'abort';
  /** The rejection code, or `CLIENT_GONE` for an abort; undefined when accepted. */
  readonly code: RejectionCode | 'CLIENT_GONE' | undefined;
  readonly status: number | undefined;
  readonly route: string | undefined;
  readonly transport: TransportName;
  readonly durationMs: number;
  readonly request: UpgradeRequest;
}

/** Why a connection closed: see lifecycle/registry.ts for how each is told. */
export type CloseCause = 'client' | 'revoked' | 'expired' | 'heartbeat' | 'drain' | 'error' | 'shutdown';

/** One per accepted connection, when it closes. */
export interface ConnectionCloseEvent {
  readonly outcome: 'close';
  readonly cause: CloseCause;
  /** The WebSocket close code: the one the gate sent when it closed, else the peer's (1006: no close frame). */
  readonly closeCode: number;
  /** The route template. */
  readonly route: string;
  readonly transport: TransportName;
  /** How long the connection lived, from the acceptance. */
  readonly durationMs: number;
  readonly request: UpgradeRequest;
}

export type GateEvent = HandshakeEvent | ConnectionCloseEvent;

/** node:diagnostics_channel channels, one per outcome. */
export const channels = {
  accept: channel('wsgate:handshake:accept'),
  reject: channel('wsgate:handshake:reject'),
  abort: channel('wsgate:handshake:abort'),
  close: channel('wsgate:connection:close'),
} as const;

export interface EventOptions {
  /** Every handshake's outcome, and every accepted connection's close. */
  onEvent?: ((event: GateEvent) => void) | undefined;
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
      // The path without its query: a query may carry a token.
      const path = route ?? (request.url ?? '').split('?')[0];
      console.warn(`wsgate: refused ${status} ${code} ${path} (${transport}, ${durationMs.toFixed(1)} ms)`);
    }
  }

  /** Whether anybody observes closes: else no close event is built. */
  get observesCloses(): boolean {
    return this.#onEvent !== undefined || channels.close.hasSubscribers;
  }

  publishClose(event: ConnectionCloseEvent): void {
    if (channels.close.hasSubscribers) channels.close.publish(event);
    const onEvent = this.#onEvent;
    if (onEvent === undefined) return;
    try {
      onEvent(event);
    } catch (error) {
      this.report(error, event.request);
    }
  }

  /** A programming error (a hook that threw, an unsafe header): to `onError`, else to stderr. Never to the client. */
  report(error: unknown, request: UpgradeRequest): void {
    if (this.#onError !== undefined) this.#onError(error, request);
    else console.error('wsgate:', error);
  }
}
