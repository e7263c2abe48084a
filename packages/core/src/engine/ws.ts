/**
 * The hand-off to `ws`: the only module that touches it. wsgate writes the 101 itself (it has already
 * validated everything `ws.handleUpgrade` would re-validate, and it needs its own extra headers), then
 * gives the socket to a server-side `ws.WebSocket` for frames.
 *
 * ws APIs used — public: `WebSocket`, `WebSocket.PerMessageDeflate`, `WebSocket.extension.format`.
 * Internal (pinned to ws ^8.23, guarded by test/engine/ws-contract.test.ts): `new WebSocket(null, undefined, opts)`
 * builds a server-side socket, `websocket.setSocket(socket, head, opts)` attaches it, and
 * `websocket._protocol` / `websocket._extensions` carry the negotiated protocol and extension — exactly
 * what `WebSocketServer.completeUpgrade` does.
 */

import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type WebSocketType from 'ws';
import type { PerMessageDeflateOptions } from 'ws';
import type { ExtensionOffer } from '../protocol/extensions.js';
import { acceptableDeflateOffers } from '../protocol/permessage-deflate.js';

// The CommonJS entry carries PerMessageDeflate and extension; the ESM wrapper does not.
const WebSocket = createRequire(import.meta.url)('ws') as typeof WebSocketType & WsInternals;

interface PerMessageDeflate {
  accept(offers: Array<Record<string, Array<string | true>>>): Record<string, unknown>;
  cleanup(): void;
}
interface WsInternals {
  PerMessageDeflate: (new (
    options: PerMessageDeflateOptions & { isServer: boolean; maxPayload: number },
  ) => PerMessageDeflate) & {
    extensionName: string;
  };
  extension: { format(extensions: Record<string, unknown>): string };
}
interface ServerSideWebSocket {
  _protocol: string;
  _extensions: Record<string, PerMessageDeflate>;
  setSocket(socket: Duplex, head: Buffer, options: FrameOptions): void;
}

export type { PerMessageDeflateOptions };

/** What ws needs per connection once the handshake is done (ws's own names and defaults). */
export interface FrameOptions {
  /** Largest message accepted, in bytes. */
  maxPayload: number;
  allowSynchronousEvents?: boolean;
  skipUTF8Validation?: boolean;
  maxBufferedChunks?: number;
  maxFragments?: number;
  /** Answer pings with pongs (RFC 6455 §5.5.2 requires it). Default true, as in ws. */
  autoPong?: boolean;
  /** How long a closing handshake may take before the socket is destroyed, in ms. Default 30 000, as in ws. */
  closeTimeout?: number;
}

/**
 * ws's WebSocketServer defaults for what a server-side socket reads from its constructor options: a route
 * puts them into its `frames` once (route.ts), so that a connection costs no options object of its own.
 */
export const SERVER_SOCKET_DEFAULTS = { autoPong: true, closeTimeout: 30_000 } as const;

export interface NegotiatedDeflate {
  readonly header: string;
  readonly extension: PerMessageDeflate;
}

/**
 * RFC 7692 §5: accept the first acceptable permessage-deflate offer, or decline (return undefined) —
 * an offer we cannot accept is never a reason to refuse the connection.
 */
export function negotiatePerMessageDeflate(
  offers: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions,
  maxPayload: number,
): NegotiatedDeflate | undefined {
  const name = WebSocket.PerMessageDeflate.extensionName;
  // Offers RFC 7692 §7 forbids accepting are dropped first, so that ws's choice (the first offer its
  // options allow) falls on an acceptable one even when an earlier offer was not (§5, fallback offers).
  const params = acceptableDeflateOffers(offers).map((offer) => ({ ...offer.params }));
  if (params.length === 0) return undefined;
  const extension = new WebSocket.PerMessageDeflate({ ...options, isServer: true, maxPayload });
  try {
    const accepted = extension.accept(params);
    return { header: WebSocket.extension.format({ [name]: [accepted] }), extension };
  } catch {
    return undefined; // none that our options allow: decline
  }
}

/** Wraps an upgraded socket (101 already written) in a server-side ws WebSocket. */
export function startWebSocket(
  socket: Duplex,
  head: Buffer,
  protocol: string | undefined,
  deflate: NegotiatedDeflate | undefined,
  options: FrameOptions,
): WebSocketType {
  // A route's frames carry the defaults already (the usual case: no object per connection); other callers'
  // options get them here, as the FrameOptions contract says.
  const settings =
    'autoPong' in options && 'closeTimeout' in options ? options : { ...SERVER_SOCKET_DEFAULTS, ...options };
  const websocket = new WebSocket(null as unknown as string, undefined, settings as never);
  const internals = websocket as unknown as ServerSideWebSocket;
  if (protocol !== undefined) internals._protocol = protocol;
  if (deflate !== undefined) internals._extensions[WebSocket.PerMessageDeflate.extensionName] = deflate.extension;
  internals.setSocket(socket, head, options);
  // A client's bad frame makes ws emit 'error' before it closes with the right code (RFC 6455 §7.4.1):
  // without a listener that would throw and take the process down. The close still tells the handler.
  websocket.on('error', ignoreError);
  return websocket;
}

function ignoreError(): void {}

/** The ws WebSocket class, for `instanceof` and `readyState` constants. */
export { WebSocket };
