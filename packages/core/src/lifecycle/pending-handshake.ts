/**
 * One handshake in flight: pending from `open` until it is accepted, refused, or ends on its own (the
 * client went away, the deadline passed, the application answered through its framework). It owns the
 * deadline, the count of pending handshakes and the outcome's event, and leaves the pending state exactly
 * once. What to answer is decided elsewhere (pipeline.ts); how it is written, by the transport.
 */

import type { Admission } from '../decision/admission.js';
import type { DecisionInputs } from '../decision/decide.js';
import { type FrameworkView, RequestSite } from '../decision/facts.js';
import type { CookieSource } from '../decision/hook.js';
import type { Route } from '../decision/route.js';
import { Rejection, reject } from '../protocol/rejection.js';
import type { Transport } from '../transport/transport.js';
import { Deadline } from './deadline.js';
import type { HandshakeEvent } from './events.js';
import type { GateState } from './gate-state.js';

/** The framework's response an adapter made for the request (node:http's, or node:http2's compat one). */
export interface AppResponse {
  readonly headersSent: boolean;
}

/** Who watches a handshake end: the app's response over its socket or stream. */
export interface HandshakeObserver {
  /**
   * The status the client got (undefined when it went away), and whether the handshake ended on its own
   * while the application was still at work (the client left, the deadline passed).
   */
  settled(status: number | undefined, meanwhile: boolean): void;
}

export class Handshake implements DecisionInputs {
  readonly gate: GateState;
  readonly transport: Transport;
  readonly deadline: Deadline;
  /** The framework's response over the socket, when an adapter made one (see app-upgrade.ts). */
  readonly response: AppResponse | undefined;
  #done = false;
  #route: Route<unknown> | undefined;
  /** Admission of the route it was made for: `accept` does not repeat what `admit` did. */
  admitted: { readonly route: Route<unknown>; readonly admission: Admission; readonly site: RequestSite } | undefined;
  /** Told once the handshake is over: the app's response, when an adapter made one (app-upgrade.ts). */
  observer: HandshakeObserver | undefined;

  constructor(gate: GateState, transport: Transport, started: number, response: AppResponse | undefined) {
    this.gate = gate;
    this.transport = transport;
    this.deadline = new Deadline(started);
    this.response = response;
    gate.pending++;
    // Watching the client and the deadline matters only if the handshake outlives this turn of the event
    // loop (an async hook or middleware): most complete before, and skip the cost.
    armLater(this);
  }

  /** Whether the handshake is still waiting for a decision. */
  get pending(): boolean {
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

  /** The route is known: events name it, and its own deadline applies from now on (counted from the request). */
  bind(route: Route<unknown>): void {
    if (this.#route === route) return;
    this.#route = route;
    if (this.deadline.armed && !this.#done) this.#setDeadline(route.handshakeTimeout);
  }

  /** The request's own scheme, host and client, from the framework's view over the wire's facts. */
  siteOf(view: FrameworkView | undefined): RequestSite {
    return new RequestSite(this.transport.wire, view);
  }

  // The decision's inputs (decision/decide.ts), once admitted.

  get site(): RequestSite {
    return (this.admitted as NonNullable<Handshake['admitted']>).site;
  }

  get cookies(): CookieSource {
    return this.gate.cookies;
  }

  get closing(): boolean {
    return this.gate.closing;
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
    this.#finish('reject', rejection.code, rejection.status);
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

  /** Accepted: the handshake leaves the pending state without aborting its signal. */
  accepted(): void {
    if (this.#done) return;
    this.#settle(false);
    const status = this.transport.name === 'h2' ? 200 : 101;
    this.#publish('accept', undefined, status);
    this.observer?.settled(status, false);
  }

  report(error: unknown): void {
    this.gate.events.report(error, this.transport.request);
  }

  #setDeadline(ms: number): void {
    this.deadline.set(ms, () => {
      // The application has started its own answer: it is no longer ours to replace.
      if (this.response?.headersSent) return;
      this.reject(reject.handshakeTimeout);
    });
  }

  #finish(outcome: HandshakeEvent['outcome'], code: HandshakeEvent['code'], status: number | undefined): void {
    if (this.#done) return;
    this.#settle(true);
    this.#publish(outcome, code, status);
    if (outcome === 'reject' && code === 'REJECTED' && this.response?.headersSent === true) return; // the app's own
    this.observer?.settled(status, outcome === 'abort' || code === 'HANDSHAKE_TIMEOUT');
  }

  /** Leaves the pending state exactly once: timer, pending count, watchers, and the signal when it failed. */
  #settle(failed: boolean): void {
    this.#done = true;
    this.deadline.clear();
    this.gate.pending--;
    this.transport.unwatch();
    if (failed) this.deadline.abort();
  }

  #publish(outcome: HandshakeEvent['outcome'], code: HandshakeEvent['code'], status: number | undefined): void {
    const { events } = this.gate;
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
