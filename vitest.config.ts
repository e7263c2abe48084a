import { defineConfig } from 'vitest/config';
import SummaryLine from './vitest.summary.js';

/**
 * Two projects, one run: `pnpm test` runs both; `pnpm test:unit` (`--project unit`) runs what needs no
 * browser, Redis, Python or npm pack, for a quick loop while you work.
 */
const needsTheMachine = [
  'packages/redis/test/**', // redis-server
  'test/cluster/**', // redis-server and processes
  'test/e2e/**', // Chromium, python-websockets, the examples started as processes
  'test/pack/**', // npm pack and a fresh install
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
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
          exclude: ['**/node_modules/**', ...needsTheMachine],
        },
      },
      { extends: true, test: { name: 'system', include: needsTheMachine.map((dir) => `${dir}/*.test.ts`) } },
    ],
  },
});
