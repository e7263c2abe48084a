/**
 * One handshake in flight: pending from `open` until it is accepted, refused, or ends on its own (the
 * client went away, the deadline passed, the application answered through its framework). It owns the
 * deadline, the count of pending handshakes and the outcome's event, and leaves the pending state exactly
 * once. What to answer is decided elsewhere (pipeline.ts); how it is written, by the transport: an
 * acceptance and a refusal alike through this object (`accept`, `reject`), which then settles.
 */

import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { RequestSite } from '../decision/facts.js';
import type { Route } from '../decision/route.js';
import { limitOf } from '../policy/limit-kind.js';
import { Rejection, reject } from '../protocol/rejection.js';
import type { Transport } from '../transport/transport.js';
import { Deadline } from './deadline.js';
import type { HandshakeEvent } from './events.js';
import type { GateState } from './gate-state.js';

/**
 * The app's side of a handshake an adapter runs through its framework (serve/app-upgrade.ts,
 * serve/app-connect.ts): the framework's response (node:http's, or node:http2's compat one), and the one
 * observer told how the handshake ended. Given when the handshake opens, never changed.
 */
export interface AppSide {
  readonly headersSent: boolean;
  /** Whether the app has ended its answer (`end()` called), delivered or not. */
  readonly writableEnded: boolean;
  readonly statusCode: number;
  /**
   * The status the client got (undefined when it went away), and whether the handshake ended on its own
   * while the application was still at work (the client left, the deadline passed).
   */
  settled(status: number | undefined, meanwhile: boolean): void;
}

export class Handshake {
  readonly gate: GateState;
  readonly transport: Transport;
  readonly deadline: Deadline;
  /** The app's response and observer, when an adapter runs the handshake through its framework. */
  readonly app: AppSide | undefined;
  #done = false;
  #route: Route<unknown> | undefined;
  #site: RequestSite | undefined;
  /** @internal The OpenTelemetry context the handshake opened in (its span's parent), when telemetry is on. */
  readonly openedIn: unknown;

  constructor(gate: GateState, transport: Transport, started: number, app: AppSide | undefined) {
    this.gate = gate;
    this.transport = transport;
    this.deadline = new Deadline(started);
    this.app = app;
    this.openedIn = gate.telemetry?.opened();
    gate.hold(transport.connection);
    // Watching the client and the deadline matters only if the handshake outlives this turn of the event
    // loop (an async hook or middleware): most complete before, and skip the cost.
    armLater(this);
  }

  /** Whether the handshake is still in flight: not yet accepted, refused, or ended on its own. */
  get inFlight(): boolean {
    return !this.#done;
  }

  /** The route it was bound to, once the framework routed it. */
  get route(): Route<unknown> | undefined {
    return this.#route;
  }

  /** Aborted when the client goes away or the deadline passes. */
  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  /** @see armLater */
  arm(): void {
    if (this.#done) return;
    this.transport.watch(() => this.#finish('abort', 'CLIENT_GONE', undefined));
    if (!this.deadline.armed) this.#setDeadline(this.#route?.handshakeTimeout ?? this.gate.handshakeTimeout);
  }

  /** The request's own scheme and host once a route admitted it (telemetry's server.address). */
  get site(): RequestSite | undefined {
    return this.#site;
  }

  /** The route is known: events name it, and its own deadline applies from now on (counted from the request). */
  bind(route: Route<unknown>): void {
    if (this.#route === route) return;
    this.#route = route;
    if (this.deadline.armed && !this.#done) this.#setDeadline(route.handshakeTimeout);
  }

  /** The route admitted the request, whose own scheme, host and client are `site`. */
  admittedAt(site: RequestSite): void {
    this.#site = site;
  }

  /** Refuses with a row of the table or the application's own rejection. */
  reject(rejection: Rejection): void {
    if (this.#done) return;
    try {
      this.transport.reject(rejection);
    } catch (error) {
      // Rejections are checked when made; this is a last line of defence, never a way to write them.
      this.report(error);
      rejection = reject.hookFailed;
      this.transport.reject(rejection);
    }
    this.#finish('reject', rejection.code, rejection.status, rejection);
  }

  /** A throw from a hook, a policy or our own code: its Rejection, or 500 HOOK_FAILED, reported, never leaked. */
  fail(error: unknown): void {
    if (error instanceof Rejection) {
      this.reject(error);
      return;
    }
    if (!this.#done) this.report(error);
    this.reject(reject.hookFailed);
  }

  /** The application answered on its own, through its framework (e.g. its auth middleware's 401). */
  answeredByApp(status: number): void {
    this.#finish('reject', 'REJECTED', status);
  }

  /**
   * Writes the acceptance and returns the socket for the handler; the handshake leaves the pending state
   * without aborting its signal. When the transport cannot write it (a header the hook set is refused),
   * what the decision took is given back and the handshake is refused instead: undefined.
   */
  accept(accept: Accept<unknown>): WebSocket | undefined {
    let socket: WebSocket | undefined;
    try {
      if (!this.#done) socket = this.transport.accept(accept);
    } catch (error) {
      this.fail(error);
    }
    if (socket === undefined) {
      // Nothing was written: what the decision took is given back.
      accept.leases?.release();
      accept.deflate?.extension.cleanup();
      return undefined;
    }
    this.#settle(false);
    const status = this.transport.name === 'h2' ? 200 : 101;
    this.#publish('accept', undefined, status);
    this.app?.settled(status, false);
    return socket;
  }

  report(error: unknown): void {
    this.gate.events.report(error, this.transport.request);
  }

  #setDeadline(ms: number): void {
    this.deadline.set(ms, () => {
      const app = this.app;
      if (app?.headersSent) this.#appAnswerAtDeadline(app);
      else this.reject(reject.handshakeTimeout);
    });
  }

  /**
   * The deadline passed after the application began its own answer, which is no longer ours to replace.
   * The slot comes back now, whatever the client does. An answer the app has ended that is still not
   * delivered is one the client does not take (it reads nothing: a zero flow-control window, RFC 9113
   * §6.9, would hold the slot for as long as it likes): it is dropped with its stream or socket. One the
   * app is still writing is the app's, as any response is.
   */
  #appAnswerAtDeadline(app: AppSide): void {
    if (!app.writableEnded) {
      this.answeredByApp(app.statusCode);
      return;
    }
    this.transport.abandon();
    this.#finish('abort', 'HANDSHAKE_TIMEOUT', undefined);
  }

  #finish(
    outcome: HandshakeEvent['outcome'],
    code: HandshakeEvent['code'],
    status: number | undefined,
    rejection?: Rejection,
  ): void {
    if (this.#done) return;
    this.#settle(true);
    this.#publish(outcome, code, status, rejection);
    if (outcome === 'reject' && code === 'REJECTED' && this.app?.headersSent === true) return; // the app's own
    this.app?.settled(status, outcome === 'abort' || code === 'HANDSHAKE_TIMEOUT');
  }

  /** Leaves the pending state exactly once: timer, pending count, watchers, and the signal when it failed. */
  #settle(failed: boolean): void {
    this.#done = true;
    this.deadline.clear();
    this.gate.release(this.transport.connection);
    this.transport.unwatch();
    if (failed) this.deadline.abort();
  }

  #publish(
    outcome: HandshakeEvent['outcome'],
    code: HandshakeEvent['code'],
    status: number | undefined,
    rejection?: Rejection,
  ): void {
    const { events } = this.gate;
    const telemetry = this.gate.telemetry;
    if (telemetry !== undefined) {
      const limit = rejection === undefined ? undefined : limitOf(rejection);
      telemetry.handshake(this, { outcome, code, status, limit });
    }
    events.publish(
      outcome,
      code,
      status,
      this.#route?.path,
      this.transport.name,
      this.deadline.started,
      this.transport.request,
    );
  }
}

/** Handshakes opened in this turn of the event loop, armed together once it is over. */
let unarmed: Handshake[] = [];

function armLater(handshake: Handshake): void {
  if (unarmed.length === 0) setImmediate(armAll);
  unarmed.push(handshake);
}

function armAll(): void {
  const handshakes = unarmed;
  unarmed = [];
  for (const handshake of handshakes) handshake.arm();
}
