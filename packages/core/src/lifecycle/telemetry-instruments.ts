/**
 * The gate's metrics: names, units and bucket boundaries, in one place (the table in the core's README
 * follows this file). Attributes are bounded by construction: route templates, codes from the rejection
 * table, HTTP statuses, transports, close causes and limit kinds; never anything the client sent.
 */

import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';

/**
 * Seconds. The SDK's default boundaries (0, 5, 10, 25 … 10000) were made for milliseconds and would put every
 * handshake in the first bucket; a handshake takes from well under a millisecond (no async step) to the
 * 10 s deadline (a slow hook or store).
 */
export const HANDSHAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Seconds: a connection lives from a second (a refused login's retry) to a day (a dashboard left open). */
export const CONNECTION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400];

export interface Instruments {
  readonly handshakeDuration: Histogram;
  readonly limitRefusals: Counter;
  readonly activeConnections: UpDownCounter;
  readonly connectionDuration: Histogram;
}

export function createInstruments(meter: Meter): Instruments {
  return {
    handshakeDuration: meter.createHistogram('wsgate.handshake.duration', {
      description:
        'Duration of WebSocket opening handshakes, from the request to the 101 (or 200), the refusal or the abort',
      unit: 's',
      advice: { explicitBucketBoundaries: HANDSHAKE_BUCKETS },
    }),
    limitRefusals: meter.createCounter('wsgate.limit.refusals', {
      description: 'Handshakes refused by a quota or a rate limit (429), or by its store failing closed (503)',
      unit: '{handshake}',
    }),
    activeConnections: meter.createUpDownCounter('wsgate.connection.active', {
      description: 'WebSocket connections accepted and not yet closed',
      unit: '{connection}',
    }),
    connectionDuration: meter.createHistogram('wsgate.connection.duration', {
      description: 'How long accepted WebSocket connections lived, by why they closed',
      unit: 's',
      advice: { explicitBucketBoundaries: CONNECTION_BUCKETS },
    }),
  };
}
