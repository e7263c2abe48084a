/**
 * A raw connection to the app's server, for requests a well-behaved client never sends (a malformed
 * handshake, bytes split at odd places, a frame in the same write as the request).
 */

import type { Duplex } from 'node:stream';
import type { TestTarget } from './target.js';
import { type ConnectionOptions, connectTo } from './transport.js';

/**
 * A client-side stream connected to `target`'s server (in memory by default, or over TCP): write the bytes
 * of a request, read the server's answer. `closeAll()` destroys it if the test did not.
 */
export async function openConnection(target: TestTarget, options: ConnectionOptions = {}): Promise<Duplex> {
  return connectTo(target, options);
}
