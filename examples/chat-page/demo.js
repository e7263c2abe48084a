// What the demo adds to the example chat, wired by every example in a few lines: the gate log that the chat page
// streams (GET /gate-log, fed by the gate's onEvent), the frame the page's probes load from the other loopback
// name (GET /probe), and the /slow WebSocket route whose hook outlasts its deadline.
export { createGateLog } from './gate-log.js';
export { probePage } from './page.js';
export { SLOW_ROUTE_TIMEOUT_MS, slowRoute } from './slow-route.js';
