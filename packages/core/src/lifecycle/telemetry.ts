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
import type { Context, MeterProvider, SpanContext, Tracer } from '@opentelemetry/api';
import type { ConnectionCloseEvent } from '../events.js';
import type { UpgradeRequest } from '../facts.js';
import type { Handshake } from '../handshake.js';
import { type Api, otelApi } from './telemetry-api.js';
import { errorType, metricAttributes, type Outcome, requestMethod, spanAttributes } from './telemetry-attributes.js';
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
  #instruments: Instruments | undefined;
  /** The handshake span of each accepted connection that was recorded, for the close span's link. */
  readonly #handshakes = new WeakMap<UpgradeRequest, SpanContext>();

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
  }

  /** The context the handshake opens in: its span's parent, if that context has a span. */
  opened(): Context {
    return this.#api.context.active();
  }

  /** The handshake's outcome: a span from its start to now, and its metrics. */
  handshake(handshake: Handshake, outcome: Outcome): void {
    const api = this.#api;
    const instruments = this.#meter();
    const attributes = metricAttributes(handshake, outcome);
    instruments.handshakeDuration.record((performance.now() - handshake.deadline.started) / 1000, attributes);
    if (outcome.limit !== undefined) instruments.limitRefusals.add(1, attributes);
    const route = handshake.route?.path;
    if (outcome.outcome === 'accept') {
      instruments.activeConnections.add(1, connectionAttributes(route, handshake.transport.name));
    }
    const context = (handshake.openedIn as Context | undefined) ?? api.context.active();
    const method = requestMethod(handshake);
    // http-spans.md: "{method} {http.route}" for a server span; the method alone when no route matched.
    const name = route === undefined ? method : `${method} ${route}`;
    // Its own server span unless the handshake opened under one (node:http instrumentations make none for an
    // 'upgrade', nor for an HTTP/2 stream): then a child of it.
    const kind = api.trace.getSpan(context) === undefined ? api.SpanKind.SERVER : api.SpanKind.INTERNAL;
    const span = this.#tracer.startSpan(name, { kind, startTime: handshake.deadline.started }, context);
    if (!span.isRecording()) {
      span.end();
      return;
    }
    span.setAttributes(spanAttributes(handshake, outcome));
    // Server spans: a 4xx is the client's error, left unset; a 5xx, or no response at all, is an error
    // (http-spans.md, "Status").
    const error = errorType(outcome);
    if (error !== undefined) span.setStatus({ code: api.SpanStatusCode.ERROR, message: error });
    if (outcome.outcome === 'accept') this.#handshakes.set(handshake.transport.request, span.spanContext());
    span.end();
  }

  /** A connection closed: its metrics, and a short span linked to its handshake's. */
  closed(event: ConnectionCloseEvent): void {
    const api = this.#api;
    const instruments = this.#meter();
    const attributes = connectionAttributes(event.route, event.transport);
    instruments.activeConnections.add(-1, attributes);
    attributes['wsgate.close.cause'] = event.cause;
    instruments.connectionDuration.record(event.durationMs / 1000, attributes);
    const handshake = this.#handshakes.get(event.request);
    if (handshake === undefined) return; // its handshake was not sampled: neither is its close
    this.#handshakes.delete(event.request);
    const span = this.#tracer.startSpan(`websocket close ${event.route}`, {
      kind: api.SpanKind.INTERNAL,
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

  /** The instruments of the global meter provider now (the API's no-op until an SDK registers one). */
  #meter(): Instruments {
    const provider = this.#api.metrics.getMeterProvider();
    if (this.#instruments === undefined || provider !== this.#provider) {
      this.#provider = provider;
      this.#instruments = createInstruments(provider.getMeter(SCOPE, scopeVersion()));
    }
    return this.#instruments;
  }
}

function connectionAttributes(route: string | undefined, transport: string): Record<string, string> {
  const attributes: Record<string, string> = { 'wsgate.transport': transport };
  if (route !== undefined) attributes['http.route'] = route;
  return attributes;
}
