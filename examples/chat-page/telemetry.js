// OpenTelemetry metrics for the examples, wired the way @opentelemetry/exporter-prometheus documents it: the
// SDK's MeterProvider with a PrometheusExporter as its reader, registered as the global meter provider, so
// that the gate's instruments (through @opentelemetry/api) land there. `serveMetrics` answers GET /metrics in
// Prometheus's text format; the exporter starts no server of its own (the app's port serves it).
// Importing this module is what turns the metrics on.
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

export const prometheus = new PrometheusExporter({ preventServerStart: true });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [prometheus] }));

/** GET /metrics: every metric collected now, in Prometheus's text exposition format. */
export function serveMetrics(request, response) {
  prometheus.getMetricsRequestHandler(request, response);
}
