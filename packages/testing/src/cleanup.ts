/**
 * The end of a test: everything the kit opened is closed, with no test-runner global involved. Call
 * `closeAll()` where your runner cleans up (`afterEach(closeAll)` in Vitest, Jest and node:test).
 */

import { opened } from './registry.js';
import { closeListeners } from './transport.js';

/**
 * Closes every WebSocket the kit opened (closing handshake, then terminate), every raw connection, and the
 * TCP listeners it started; resolves once they are closed.
 */
export async function closeAll(): Promise<void> {
  await opened.close();
  await closeListeners();
  // libuv releases closed TCP handles in the loop's close phase, which follows the check phase: two
  // setImmediate hops later, every handle the kit opened is gone.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** How many connections the kit opened are still open (0 after `closeAll()`). */
export function openCount(): number {
  return opened.openConnections;
}
