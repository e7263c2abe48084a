import { defineConfig } from 'vitest/config';
import SummaryLine from './vitest.summary.js';

/**
 * Two projects, one run: `pnpm test` runs both; `pnpm test:unit` (`--project unit`) runs what needs no
 * browser, Redis, Python or npm pack, for a quick loop while you work.
 *
 * The quick loop (WSGATE_QUICK_LOOP=1, which `pnpm test:unit` sets) also shares each worker's module cache
 * between test files instead of starting a fresh process per file (most of an isolated file's time is its
 * imports), and runs 4 workers whatever the core count: its tests mostly wait on sockets and timers, so
 * vitest's default (one worker fewer than the cores) left a 2-core machine half idle. 3 min 18 s became
 * 46 s there. Files that measure or set process-wide state (its handles, once-only warnings, the global
 * OpenTelemetry SDK) still get a process of their own. `pnpm test` keeps the defaults: every file isolated.
 */
const quickLoop = process.env.WSGATE_QUICK_LOOP === '1';
const usesTheProcess = [
  'packages/testing/test/cleanup.test.ts', // counts the process's handles before and after
  'packages/express/test/wiring.test.ts', // warnings given once per process
  'test/otel/**/*.test.ts', // registers the OpenTelemetry SDK, which is global
];
const needsTheMachine = [
  'packages/redis/test/**', // redis-server
  'test/cluster/**', // redis-server and processes
  'test/e2e/**', // Chromium, python-websockets, the examples started as processes
  'test/pack/**', // npm pack and a fresh install
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    ...(quickLoop ? { maxWorkers: 4 } : {}),
    hookTimeout: 30_000,
    pool: 'forks',
    // Node's own deprecations that are not yet runtime ones, so that vitest.setup.ts sees them now.
    execArgv: ['--pending-deprecation'],
    setupFiles: ['./vitest.setup.ts'],
    reporters: ['default', new SummaryLine()],
    // `pnpm test` (the whole suite) measures what it runs of the packages' sources (the adapters' and the
    // suites' imports of the built packages are mapped back to src by their source maps).
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'packages/*/dist/**/*.js'],
      reporter: ['text-summary', 'text', 'json-summary'],
      reportsDirectory: 'coverage',
      reportOnFailure: true,
      // About a point under the whole suite's figures on Node 26.12 (2026-12-07): lines 97.55 % in all,
      // 98.11 % in @wsgate/core.
      thresholds: { lines: 96, 'packages/core/src/**': { lines: 97 } },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...needsTheMachine, ...(quickLoop ? usesTheProcess : [])],
          isolate: !quickLoop,
        },
      },
      ...(quickLoop ? [{ extends: true, test: { name: 'unit-isolated', include: usesTheProcess } }] : []),
      { extends: true, test: { name: 'system', include: needsTheMachine.map((dir) => `${dir}/*.test.ts`) } },
    ],
  },
});
