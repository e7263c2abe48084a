// Progress on stderr, stamped with the time since the run started; stdout is kept for the tables.

const t0 = Date.now();

/** Milliseconds since the runner started. */
export const elapsed = () => Date.now() - t0;

export function log(s) {
  process.stderr.write(`[${(elapsed() / 1000).toFixed(1).padStart(6)}s] ${s}\n`);
}
