// The demo's /slow WebSocket route: its hook takes longer than the route's deadline, so the gate answers
// 503 HANDSHAKE_TIMEOUT and never calls the handler. The deadline covers the framework's middleware and the
// hook alike; when it passes, the hook's `signal` aborts, and the hook stops waiting.
import { setTimeout as delay } from 'node:timers/promises';

export const SLOW_ROUTE_TIMEOUT_MS = 1000;
const SLOW_HOOK_MS = 5 * SLOW_ROUTE_TIMEOUT_MS;

/** Route options for /slow, the same in every example: `gate.route('/slow', slowRoute, handler)` and the like. */
export const slowRoute = Object.freeze({
  handshakeTimeout: SLOW_ROUTE_TIMEOUT_MS,
  onUpgrade: (upgrade) => delay(SLOW_HOOK_MS, {}, { signal: upgrade.signal }).catch(() => ({})),
});
