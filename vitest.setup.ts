// Property tests: a short pass in `pnpm test`, 100,000 cases per property in `pnpm test:fuzz`.
import fc from 'fast-check';
import { afterAll, afterEach } from 'vitest';

fc.configureGlobal({ numRuns: Number(process.env.FC_NUM_RUNS ?? 1_000) });

/**
 * No deprecation or experimental warning from our code, on any Node line we support. A warning is ours when
 * the first frame of its stack outside Node itself is one of this repository's files (not node_modules):
 * the call that Node warns about is ours. It fails the test that was running when Node emitted it (Node
 * emits on the next tick, so a late one fails the file's end instead). A dependency's own (Express 4's
 * `url.parse`, Koa's tsscmp and `crypto.pseudoRandomBytes`) is theirs to fix and fails nothing. Run with
 * `--pending-deprecation` (vitest.config.ts) so that Node's next deprecations count too.
 */
const ours = /\/(?:packages|examples|test|bench)\//;
const warnings: string[] = [];
process.on('warning', (warning) => {
  const stack = warning.stack ?? '';
  const caller = stack
    .split('\n')
    .slice(1)
    .find((frame) => !/\(node:|at node:|at new \w+ \(node:/.test(frame));
  if (caller !== undefined && ours.test(caller) && !caller.includes('/node_modules/')) warnings.push(stack);
});

function noWarnings(): void {
  const seen = warnings.splice(0);
  if (seen.length > 0) throw new Error(`Node warned about our code:\n${seen.join('\n\n')}`);
}
afterEach(noWarnings);
afterAll(noWarnings);
