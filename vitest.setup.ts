// Property tests: a short pass in `pnpm test`, 100,000 cases per property in `pnpm test:fuzz`.
import fc from 'fast-check';

fc.configureGlobal({ numRuns: Number(process.env.FC_NUM_RUNS ?? 1_000) });
