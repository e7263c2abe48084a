// What of a handshake (or a connection's close) may reach the demo page's gate log. A HandshakeEvent carries the whole request (its
// cookies, its query, a bearer token in Sec-WebSocket-Protocol); a line on the page carries the gate's decision
// and nothing the client sent, except the number of an attempt, and that only to the page that made it.

/** A viewer's key: 128 random bits in hex, made by the page; it travels only between that page and the server. */
const VIEWER_KEY = /^[0-9a-f]{32}$/;

/** `?attempt=<viewer key>.<n>` on a WebSocket URL: the page's n-th attempt, 1 to 999999. */
const ATTEMPT = /^([0-9a-f]{32})\.([1-9][0-9]{0,5})$/;

/** The viewer key in a `?viewer=` query, or undefined for anything else (then the viewer sees no attempt numbers). */
export function viewerKeyOf(url) {
  const key = queryOf(url).get('viewer');
  return key !== null && VIEWER_KEY.test(key) ? key : undefined;
}

/** `{ viewer, attempt }` from a request target's `attempt` query parameter, or undefined. */
export function attemptOf(url) {
  const match = ATTEMPT.exec(queryOf(url).get('attempt') ?? '');
  return match ? { viewer: match[1], attempt: Number(match[2]) } : undefined;
}

function queryOf(url) {
  const target = typeof url === 'string' ? url : '';
  const start = target.indexOf('?');
  try {
    return new URLSearchParams(start < 0 ? '' : target.slice(start + 1).split('#')[0]);
  } catch {
    return new URLSearchParams();
  }
}

const TRANSPORTS = new Set(['http/1.1', 'h2', 'hixie-76']);
const OUTCOMES = new Set(['accept', 'reject', 'abort', 'close']);
const CAUSES = new Set(['client', 'revoked', 'expired', 'heartbeat', 'drain', 'error', 'shutdown']);

/**
 * The entry the server keeps for one HandshakeEvent: the decision's fields, copied one by one (never the event
 * or its request), plus whose attempt it was. `seq` orders entries; `at` is the wall-clock time in ms.
 */
export function gateEntry(event, seq, at) {
  const owner = attemptOf(event.request?.url);
  return {
    seq,
    at,
    outcome: OUTCOMES.has(event.outcome) ? event.outcome : 'abort',
    // Codes come from the core's table, routes are the app's own patterns; both are checked to be plain tokens.
    code: typeof event.code === 'string' && /^[A-Z_]{1,40}$/.test(event.code) ? event.code : null,
    status: Number.isInteger(event.status) ? event.status : null,
    route: typeof event.route === 'string' && /^\/[\w\-./:*]{0,100}$/.test(event.route) ? event.route : null,
    transport: TRANSPORTS.has(event.transport) ? event.transport : 'http/1.1',
    ms: Number.isFinite(event.durationMs) ? Math.round(event.durationMs * 10) / 10 : null,
    // A connection's close (ConnectionCloseEvent): why, and the WebSocket close code.
    ...(event.outcome === 'close' && {
      cause: CAUSES.has(event.cause) ? event.cause : 'client',
      closeCode: Number.isInteger(event.closeCode) ? event.closeCode : null,
    }),
    viewer: owner?.viewer,
    attempt: owner?.attempt,
  };
}

/**
 * What one viewer is sent for an entry: the decision for everyone; `mine` and the attempt number only for the
 * viewer whose key the attempt carried. Never the key itself, not even to its owner.
 */
export function publicEntry(entry, viewerKey) {
  const { viewer, attempt, ...decision } = entry;
  return viewerKey !== undefined && viewer === viewerKey ? { ...decision, mine: true, attempt } : decision;
}
