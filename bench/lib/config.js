// What the bench runs: the servers, how they pair up, and the sizes of each mode. Decisions are values here,
// so the phases read them instead of hiding numbers in loops.

/** In run order. Peers first, then wsgate. A missing file or a failed import is reported as skipped. */
export const SERVERS = [
  'floor',
  'ws',
  'express-ws',
  'koa-easy-ws',
  'fastify-websocket',
  'crossws',
  'hono-node-ws',
  'wsgate-core',
  'wsgate-express',
  'wsgate-koa',
  'wsgate-fastify',
  'wsgate-hono',
];

/**
 * Servers run only when named with --only: variants of a wsgate server for one question, not peers.
 * `wsgate-core-telemetry-off` is wsgate-core with `telemetry: false` (pair core/telemetry-off).
 */
export const OPTIONAL_SERVERS = ['wsgate-core-telemetry-off'];

/** pair name -> [wsgate side, peer side]. Each wsgate server does the same app work as its peer. */
export const PAIRS = {
  'core/ws': ['wsgate-core', 'ws'],
  'core/floor': ['wsgate-core', 'floor'],
  'express/express-ws': ['wsgate-express', 'express-ws'],
  'koa/koa-easy-ws': ['wsgate-koa', 'koa-easy-ws'],
  'fastify/fastify-websocket': ['wsgate-fastify', 'fastify-websocket'],
  'hono/hono-node-ws': ['wsgate-hono', 'hono-node-ws'],
  // Telemetry on (the default: @opentelemetry/api loaded, no SDK registered) against off.
  'core/telemetry-off': ['wsgate-core', 'wsgate-core-telemetry-off'],
};

/** The concurrency at which ratios are taken and the chart is drawn. */
export const RATIO_CONCURRENCY = 64;
export const MEMORY_SERVERS = ['ws', 'wsgate-core'];
export const WS_PATH = '/ws';

/** Sequential mode: every server in turn, medians over repetitions. */
export const MODES = {
  full: {
    concurrency: [1, 64, 512],
    count: { 1: 800, 64: 2000, 512: 3000 }, // measured handshakes per cell
    warmup: { 1: 80, 64: 200, 512: 512 }, // per cell, not counted
    // Once per server at start, concurrency 64, not counted. Until some 9,000 handshakes V8 is still compiling
    // the server's hot functions, on CPU the window counts (measured: 58-99 TurboFan compiles per server in
    // the 7,500 handshakes after the first 1,200, 0-2 after 8,700), and more so for servers with more code.
    serverWarmup: 10_000,
    reps: 5, // median of these; server order rotated each rep
    cellTimeLimitMs: 20_000,
    budgetMs: 230_000, // later reps are dropped so the run stays under this (pnpm build comes on top)
    memoryConnections: 10_000,
    watchdogMs: 9 * 60_000,
  },
  quick: {
    concurrency: [64],
    count: { 64: 1500 },
    warmup: { 64: 200 },
    serverWarmup: 10_000,
    reps: 5,
    cellTimeLimitMs: 8_000,
    budgetMs: 90_000,
    memoryConnections: 2_000,
    watchdogMs: 3 * 60_000,
  },
};

/**
 * Paired mode: both servers of a pair live at once, the generator alternating between them in short
 * windows. A round is two windows, one per side; the side that goes first alternates (ABBA ABBA ...), so a
 * load that rises or falls through the run hits both sides alike. Windows are short so that the two
 * windows of a round see the same machine.
 */
export const PAIRED_MODES = {
  full: {
    rounds: 30,
    perWindow: 600,
    concurrency: 64,
    serverWarmup: 10_000,
    windowTimeLimitMs: 10_000,
    watchdogMs: 8 * 60_000,
  },
  quick: {
    rounds: 16,
    perWindow: 400,
    concurrency: 64,
    serverWarmup: 10_000,
    windowTimeLimitMs: 5_000,
    watchdogMs: 4 * 60_000,
  },
};

/**
 * Profile mode: one server, one long measured window under the inspector's sampling profiler. 100 µs
 * sampling gives a few samples per handshake; the profiler slows the server, so its CPU figure is only for
 * reading the profile, not for comparing servers.
 */
export const PROFILE_MODES = {
  full: {
    count: 10_000,
    concurrency: 64,
    serverWarmup: 10_000,
    intervalUs: 100,
    timeLimitMs: 60_000,
    watchdogMs: 3 * 60_000,
  },
  quick: {
    count: 4_000,
    concurrency: 64,
    serverWarmup: 10_000,
    intervalUs: 100,
    timeLimitMs: 30_000,
    watchdogMs: 2 * 60_000,
  },
};
