/**
 * The 426 for what reaches a WebSocket route without being a WebSocket handshake, as a value that every
 * adapter writes through its framework (and node:http through its own response).
 */

import { headerLines } from '../http/raw-headers.js';
import { listHasToken } from '../http/token-list.js';
import { reject } from './rejection.js';
import type { UpgradeRequest } from './request.js';

/**
 * The answer to a plain request (or an upgrade to another protocol) on a WebSocket route, as a value for the adapter
 * to write through its framework: 426 naming websocket, with the upgrade connection option RFC 9110 §7.8 requires
 * next to Upgrade, as text with its length (the same bytes on every adapter and on node:http). Given the `request`,
 * the answer also says `close` when the connection ends after it (RFC 9112 §9.6): an upgrade request's
 * (`isUpgradeRequest`: it came through the server's 'upgrade' event) is never reused, as the core's own refusal of one says, and a client that said `close` (or an HTTP/1.0 one that did not ask
 * for keep-alive, §9.3) is answered and let go. Saying so is also what makes Node close it: a response naming any
 * other connection option keeps the connection open, whatever the request said. Over HTTP/2 (`request` says 2.0) 400
 * without them: Upgrade and Connection are connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2; Node throws
 * when a response carries one), and a 426 without Upgrade would break RFC 9110 §15.5.22.
 */
export function notAnUpgrade(
  request?: UpgradeRequest,
  isUpgradeRequest = false,
): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  if (request?.httpVersionMajor === 2) {
    const { status, headers, payload } = reject.notAnUpgradeOverH2;
    return {
      status,
      headers: { ...(headers as Record<string, string>), 'Content-Type': payload.type },
      body: payload.bytes.toString(),
    };
  }
  const { status, headers, payload } = reject.notAnUpgrade;
  const closing = request !== undefined && (isUpgradeRequest || !keepsAlive(request));
  return {
    status,
    headers: {
      ...(headers as Record<string, string>),
      Connection: closing ? 'Upgrade, close' : 'Upgrade',
      'Content-Type': payload.type,
      'Content-Length': String(payload.bytes.length),
    },
    body: payload.bytes.toString(),
  };
}

/** RFC 9112 §9.3: whether an HTTP/1.x client's connection persists after this request. */
function keepsAlive(request: UpgradeRequest): boolean {
  const options = headerLines(request.rawHeaders, 'connection');
  if (listHasToken(options, 'close')) return false;
  return request.httpVersionMinor >= 1 || listHasToken(options, 'keep-alive');
}
