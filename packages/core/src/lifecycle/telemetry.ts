/**
 * A gate's OpenTelemetry instrumentation, through the application's `@opentelemetry/api` (see
 * telemetry-api.ts): a span per handshake, a short span per closed connection linked to its handshake's,
 * and the metrics of telemetry-instruments.ts. With no SDK registered every call lands on the API's no-ops,
 * and nothing is built for a span that does not record.
 *
 * Why the span is made at the outcome rather than held open from the request: most handshakes are decided
 * in the turn that opened them, and a span object per handshake in flight would cost even unsampled. It gets
 * the request's start time (`startTime`) and the context that was active when the handshake opened, which
 * is its parent's: the outcome may come from a timer (the deadline) or a socket event (the client left),
 * whose own context is not the request's.
 *
 * Why a connection is not one span: a span held open for hours is lost if the process dies, exported late,
 * and drawn as one bar over a trace that is otherwise milliseconds long. The handshake span ends at the 101;
 * the close is a span of its own, in a trace of its own, linked to the handshake's span.
 */

import { createRequire } from 'node:module';
import type { Context, Histogram, MeterProvider, SpanContext, Tracer } from '@opentelemetry/api';
import type { UpgradeRequest } from '../protocol/request.js';
import type { ConnectionCloseEvent } from './events.js';
import { type Api, otelApi } from './telemetry-api.js';
import {
  errorType,
  type HandshakeFacts as Handshake,
  metricAttributes,
  type Outcome,
  requestMethod,
  spanAttributes,
} from './telemetry-attributes.js';
import { createInstruments, type Instruments } from './telemetry-instruments.js';

/** The instrumentation scope: the package, with its version. */
const SCOPE = '@wsgate/core';

let version: string | undefined;

function scopeVersion(): string {
  version ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return version;
}

export class GateTelemetry {
  readonly #api: Api;
  readonly #tracer: Tracer;
  /** The provider the instruments were made with: an SDK registered later gets new ones. */
  #provider: MeterProvider | undefined;
  /** Undefined while the provider is the API's no-op: nothing is built for it. */
  #instruments: Instruments | undefined;
  /** The API's no-op histogram (a singleton): what a no-op provider's meter hands out. */
  readonly #noop: Histogram;
  /**
   * Connections accepted while something recorded them, with their handshake's span when it was recorded
   * (the close span's link). Only theirs are counted at close: the up-down counter stays balanced when an SDK
   * registers while connections are open.
   */
  readonly #connections = new WeakMap<UpgradeRequest, SpanContext | undefined>();

  /** Undefined when turned off, or when the application has no `@opentelemetry/api`. */
  static create(options: { readonly telemetry?: boolean | undefined }): GateTelemetry | undefined {
    if (options.telemetry === false) return undefined;
    const api = otelApi();
    return api === undefined ? undefined : new GateTelemetry(api);
  }

  private constructor(api: Api) {
    this.#api = api;
    // A proxy: it records through whichever SDK registers, before or after the gate is made.
    this.#tracer = api.trace.getTracer(SCOPE, scopeVersion());
    this.#noop = api.createNoopMeter().createHistogram('wsgate.noop');
  }

  /** The context the handshake opens in: its span's parent, if that context has a span. */
  opened(): Context {
    return this.#api.context.active();
  }

  /** Whether the connection of `request` was recorded at its acceptance: then its close is too. */
  tracks(request: UpgradeRequest): boolean {
    return this.#connections.has(request);
  }

  /** The handshake's outcome: a span from its start to now, and its metrics. */
  handshake(handshake: Handshake, outcome: Outcome): void {
    const api = this.#api;
    const accepted = outcome.outcome === 'accept';
    const instruments = this.#meter();
    if (instruments !== undefined) {
      const attributes = metricAttributes(handshake, outcome);
      instruments.handshakeDuration.record((performance.now() - handshake.deadline.started) / 1000, attributes);
      if (outcome.limit !== undefined) instruments.limitRefusals.add(1, attributes);
      if (accepted)
        instruments.activeConnections.add(1, connectionAttributes(handshake.route?.path, handshake.transport.name));
    }
    const context = (handshake.openedIn as Context | undefined) ?? api.context.active();
    // Its own server span unless the handshake opened under one (node:http instrumentations make none for an
    // 'upgrade', nor for an HTTP/2 stream): then a child of it. Named by the method until it is known to record,
    // as the HTTP instrumentations do, so that an unsampled handshake builds nothing.
    const kind = api.trace.getSpan(context) === undefined ? api.SpanKind.SERVER : api.SpanKind.INTERNAL;
    const method = requestMethod(handshake);
    const span = this.#tracer.startSpan(method, { kind, startTime: handshake.deadline.started }, context);
    if (!span.isRecording()) {
      span.end();
      if (accepted && instruments !== undefined) this.#connections.set(handshake.transport.request, undefined);
      return;
    }
    // http-spans.md: "{method} {http.route}" for a server span; the method alone when no route matched.
    const route = handshake.route?.path;
    if (route !== undefined) span.updateName(`${method} ${route}`);
    span.setAttributes(spanAttributes(handshake, outcome));
    // Server spans: a 4xx is the client's error, left unset; a 5xx, or no response at all, is an error
    // (http-spans.md, "Status").
    const error = errorType(outcome);
    if (error !== undefined) span.setStatus({ code: api.SpanStatusCode.ERROR, message: error });
    if (accepted) this.#connections.set(handshake.transport.request, span.spanContext());
    span.end();
  }

  /** A connection closed: its metrics, and a short span linked to its handshake's. */
  closed(event: ConnectionCloseEvent): void {
    if (!this.#connections.has(event.request)) return; // accepted while nothing recorded
    const handshake = this.#connections.get(event.request);
    this.#connections.delete(event.request);
    const attributes = connectionAttributes(event.route, event.transport);
    const instruments = this.#meter();
    if (instruments !== undefined) {
      instruments.activeConnections.add(-1, attributes);
      attributes['wsgate.close.cause'] = event.cause;
      instruments.connectionDuration.record(event.durationMs / 1000, attributes);
    }
    if (handshake === undefined) return; // its handshake was not sampled: neither is its close
    attributes['wsgate.close.cause'] = event.cause;
    const span = this.#tracer.startSpan(`websocket close ${event.route}`, {
      kind: this.#api.SpanKind.INTERNAL,
      root: true,
      links: [{ context: handshake }],
      attributes: {
        ...attributes,
        'wsgate.close.code': event.closeCode,
        'wsgate.connection.duration': event.durationMs / 1000,
      },
    });
    span.end();
  }

  /** The instruments of the global meter provider now; undefined while it is the API's no-op. */
  #meter(): Instruments | undefined {
    const provider = this.#api.metrics.getMeterProvider();
    if (provider !== this.#provider) {
      this.#provider = provider;
      const instruments = createInstruments(provider.getMeter(SCOPE, scopeVersion()));
      this.#instruments = instruments.handshakeDuration === this.#noop ? undefined : instruments;
    }
    return this.#instruments;
  }
}

function connectionAttributes(route: string | undefined, transport: string): Record<string, string> {
  const attributes: Record<string, string> = { 'wsgate.transport': transport };
  if (route !== undefined) attributes['http.route'] = route;
  return attributes;
}
