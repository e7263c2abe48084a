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
  /**
   * OpenTelemetry spans and metrics through the application's `@opentelemetry/api` (an optional peer).
   * Default: on; nothing is recorded until an SDK registers a tracer or meter provider. `false` turns it off.
   */
  telemetry?: boolean | undefined;
}

/** What telemetry (telemetry.ts) does with closes, named here so that this module imports nothing of it. */
export interface CloseRecorder {
  /** Whether the connection of `request` was recorded at its acceptance. */
  tracks(request: UpgradeRequest): boolean;
  closed(event: ConnectionCloseEvent): void;
}

export class GateEvents {
  readonly #onEvent: EventOptions['onEvent'];
  readonly #onError: EventOptions['onError'];
  readonly #log: boolean;
  /** Told of the closes of the connections it recorded, before anyone else (the gate's telemetry). */
  readonly #telemetry: CloseRecorder | undefined;

  constructor(options: EventOptions, telemetry?: CloseRecorder) {
    this.#onEvent = options.onEvent;
    this.#onError = options.onError;
    const env = process.env.NODE_ENV;
    this.#log = options.logRejections ?? (env !== 'production' && env !== 'test');
    this.#telemetry = telemetry;
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

  /**
   * Whether a close event is wanted for the connection of `request`: `onEvent` or a diagnostics_channel
   * subscriber observes every close (of a connection opened while it listened: the registry keeps a request
   * only then); telemetry, the closes of the connections it recorded at acceptance. Else no close event is
   * built.
   */
  observesClose(request: UpgradeRequest): boolean {
    return this.#onEvent !== undefined || channels.close.hasSubscribers || this.#telemetry?.tracks(request) === true;
  }

  publishClose(event: ConnectionCloseEvent): void {
    this.#telemetry?.closed(event);
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
