// Types for the demo's additions: the gate log, the probe frame, the slow route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { GateEvent, RouteOptions, UpgradeHook } from '@wsgate/core';

export function probePage(): string;

/** The demo's gate log: `record` is fed by the gate's `onEvent`; `stream` serves GET /gate-log. */
export interface GateLog {
  record(event: GateEvent): void;
  stream(request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse): void;
  close(): void;
  readonly viewers: number;
}
export function createGateLog(options?: {
  capacity?: number;
  maxViewers?: number;
  /** Streams one client address may hold (default 4); more get 429. */
  maxViewersPerClient?: number;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
}): GateLog;

export const SLOW_ROUTE_TIMEOUT_MS: number;
/** Route options for /slow: a hook that outlasts the route's handshakeTimeout (503 HANDSHAKE_TIMEOUT). */
export const slowRoute: Readonly<RouteOptions<object> & { onUpgrade: UpgradeHook<object> }>;
