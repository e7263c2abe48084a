/**
 * Draining, for a rolling deploy: new handshakes get 503 SHUTTING_DOWN with Retry-After (the gate is
 * closing), and the open connections close in batches — `batchSize` every `intervalMs`, 1012 Service
 * Restart by default — so that their clients reconnect to the other processes spread over time instead
 * of in the same second. Whatever is still open at `deadlineMs` is terminated.
 */

import { CloseCodes, checkCloseCode, checkCloseReason } from './close-codes.js';
import type { CloseCause } from './events.js';
import type { Registry } from './registry.js';
import type { Tracked } from './tracked.js';

export interface DrainOptions {
  /** Connections closed per batch. Default 1 000. */
  batchSize?: number;
  /** Milliseconds between batches. Default 1 000. */
  intervalMs?: number;
  /** Milliseconds from the start after which what is left is terminated. Default 25 000 (under Kubernetes' 30 s grace). */
  deadlineMs?: number;
  /** The close code. Default 1012 (CloseCodes.serviceRestart): reconnect is fine. */
  code?: number;
  /** The close reason (at most 123 UTF-8 bytes). Default `'service restart'`. */
  reason?: string;
  /** Called after each batch, and once when the drain ends. */
  onProgress?: (progress: DrainProgress) => void;
}

export interface DrainProgress {
  /** Batches sent so far. */
  readonly batches: number;
  /** Connections the drain has asked to close (closing handshake started). */
  readonly closing: number;
  /** Connections still open (including those in their closing handshake). */
  readonly open: number;
  /** Connections terminated at the deadline. */
  readonly terminated: number;
  readonly elapsedMs: number;
  readonly done: boolean;
}

export type DrainResult = DrainProgress;

const DEFAULTS = { batchSize: 1_000, intervalMs: 1_000, deadlineMs: 25_000 };

export function checkDrainOptions(options: DrainOptions): Required<Omit<DrainOptions, 'onProgress'>> {
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const intervalMs = options.intervalMs ?? DEFAULTS.intervalMs;
  const deadlineMs = options.deadlineMs ?? DEFAULTS.deadlineMs;
  if (!(batchSize >= 1)) throw new TypeError(`wsgate: drain option "batchSize" must be a number ≥ 1, got ${batchSize}`);
  for (const [name, value] of [
    ['intervalMs', intervalMs],
    ['deadlineMs', deadlineMs],
  ] as const) {
    if (!(typeof value === 'number' && value >= 0 && value < 2 ** 31)) {
      throw new TypeError(`wsgate: drain option "${name}" must be a number of milliseconds, got ${value}`);
    }
  }
  const code = checkCloseCode(options.code ?? CloseCodes.serviceRestart, 'drain option "code"');
  const reason = checkCloseReason(options.reason ?? 'service restart', 'drain option "reason"');
  return { batchSize, intervalMs, deadlineMs, code, reason };
}

/** Closes every open connection in batches; resolves once none is open. */
export async function drainConnections(
  registry: Registry,
  options: DrainOptions,
  cause: CloseCause,
): Promise<DrainResult> {
  const { batchSize, intervalMs, deadlineMs, code, reason } = checkDrainOptions(options);
  const started = performance.now();
  // The connections open now: the gate is closing, so no new one is accepted from here on.
  const queue: Tracked[] = [...registry.entries()];
  let next = 0;
  let batches = 0;
  let closing = 0;
  let terminated = 0;
  const progress = (done: boolean): DrainProgress => ({
    batches,
    closing,
    open: registry.size,
    terminated,
    elapsedMs: performance.now() - started,
    done,
  });
  const report = (done: boolean) => {
    if (options.onProgress === undefined) return;
    try {
      options.onProgress(progress(done));
    } catch {
      // An observer's bug must not stop the drain.
    }
  };
  let batchTimer: NodeJS.Timeout | undefined;
  const sendBatch = () => {
    const end = Math.min(queue.length, next + batchSize);
    for (; next < end; next++) {
      if (registry.end(queue[next] as Tracked, cause, code, reason)) closing++;
    }
    batches++;
    report(false);
    if (next < queue.length) batchTimer = setTimeout(sendBatch, intervalMs);
  };
  sendBatch();
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    deadlineTimer = setTimeout(resolve, deadlineMs);
  });
  // Done when every connection is gone (closed in its batch, or by its client before), or at the deadline.
  await Promise.race([registry.whenEmpty(), deadline]);
  clearTimeout(batchTimer);
  clearTimeout(deadlineTimer);
  for (const entry of [...registry.entries()]) {
    terminated++;
    registry.terminate(entry, cause);
  }
  await registry.whenEmpty(); // terminated ones report 'close' on the next turn
  const result = progress(true);
  report(true);
  return result;
}
