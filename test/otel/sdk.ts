// The real OpenTelemetry SDK for the telemetry tests, registered before anything loads node:http the way an
// application's `--import ./telemetry.js` would: a tracer provider (AsyncLocalStorage context, every span
// exported to memory), a meter provider read on demand, and @opentelemetry/instrumentation-http. Imported
// first by each test file that needs it (one vitest fork per file: nothing leaks to other files).
import { createRequire } from 'node:module';
import { type Context, context, metrics, type Span, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/** Spans started and not yet ended: an HTTP span left open by an upgrade would stay here. */
class OpenSpans implements SpanProcessor {
  readonly open = new Set<Span>();
  onStart(span: Span): void {
    this.open.add(span);
  }
  onEnd(span: ReadableSpan): void {
    this.open.delete(span as unknown as Span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A metric reader that collects when asked: what a Prometheus scrape does. */
class InMemoryReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export const exporter = new InMemorySpanExporter();
export const openSpans = new OpenSpans();
const tracerProvider = new NodeTracerProvider({
  spanProcessors: [openSpans, new SimpleSpanProcessor(exporter)],
});
tracerProvider.register(); // the global tracer provider, AsyncLocalStorage context manager, W3C propagation
const reader = new InMemoryReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
// The instrumentation patches node:http when it is required: the ESM `import http from 'node:http'` of the
// servers under test shares its Server.prototype.
createRequire(import.meta.url)('node:http');

/** Every span ended so far, then forgotten. */
export function takeSpans(): ReadableSpan[] {
  const spans = exporter.getFinishedSpans();
  exporter.reset();
  return [...spans];
}

/** The wsgate spans among `spans`. */
export function wsgateSpans(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.instrumentationScope.name === '@wsgate/core');
}

/** The data points of the metric `name`, as collected now. */
export async function points(name: string): Promise<DataPoint<number | Histogram>[]> {
  const { resourceMetrics } = await reader.collect();
  const metric: MetricData | undefined = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<number | Histogram>[];
}

/** Runs `fn` with a span of the test's own active, as a server instrumentation would around a request. */
export function withParent<T>(name: string, fn: (parent: Span) => T): T {
  const parent = trace.getTracer('test').startSpan(name);
  const active: Context = trace.setSpan(context.active(), parent);
  return context.with(active, () => fn(parent));
}
