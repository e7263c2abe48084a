/**
 * `@opentelemetry/api`, if the application has it: an optional peer. It is loaded with `require` (through
 * `createRequire`), once, when the first gate asks for it: a dynamic `import()` would make gate creation
 * asynchronous, and a top-level `await` would make every importer of the core wait for it. Without the
 * package, or with one too old to have metrics advice (API < 1.7), telemetry is off and nothing else changes.
 *
 * The API's own design is what makes this safe to have on by default: with no SDK registered, its tracer and
 * meter are no-ops, and the instant an SDK registers a global provider, the same API calls start recording.
 */

import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';

export type Api = typeof OtelApi;

let loaded: Api | null | undefined;

/** The application's `@opentelemetry/api`, or undefined when it has none. */
export function otelApi(): Api | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): Api | null {
  try {
    const api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    // Metrics and `advice` (explicit bucket boundaries) came in 1.7; older APIs are treated as absent.
    return typeof api.metrics?.getMeter === 'function' && typeof api.trace?.getTracer === 'function' ? api : null;
  } catch {
    return null;
  }
}
