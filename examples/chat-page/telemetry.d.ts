// Types for the examples' OpenTelemetry wiring: GET /metrics from the SDK's Prometheus reader.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

export const prometheus: PrometheusExporter;
export function serveMetrics(
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
): void;
