/**
 * WebSockets over HTTP/2 on a node:http2 server (`createSecureServer`, or `createServer` for h2c): the
 * setting that invites extended CONNECT, and how those streams reach the gate.
 *
 * With a 'request' listener (the compatibility API every framework uses) Node turns each HTTP/2 CONNECT
 * into a 'connect' event with compat request and response objects, or answers 405 itself when nobody
 * listens. Without one (the 'stream' API), a CONNECT is a 'stream' like any other. Both are handled; the
 * streams taken are remembered so that none is handled twice.
 *
 * On a server with allowHTTP1, 'connect' also carries HTTP/1.1 CONNECT requests, with http's signature
 * (request, socket, head): those are left as Node leaves them — the socket destroyed when no other
 * listener takes it.
 */

import type { IncomingMessage } from 'node:http';
import { Http2ServerRequest, Http2ServerResponse, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { reject } from '../protocol/rejection.js';
import { isExtendedConnect } from '../protocol/rfc8441.js';
import { h2RejectionBlock } from '../transport/http2-head.js';

/** What the gate needs of a node:http2 server. */
export interface Http2UpgradeServer {
  updateSettings(settings: { enableConnectProtocol?: boolean }): void;
  on(event: 'connect', listener: (...args: never[]) => void): unknown;
  prependListener(event: 'stream', listener: (...args: never[]) => void): unknown;
  listenerCount(event: string): number;
}

/** A node:http2 server (the only kind with `updateSettings`). */
export function isHttp2Server(server: unknown): server is Http2UpgradeServer {
  return typeof (server as { updateSettings?: unknown } | null)?.updateSettings === 'function';
}

/** Gets each extended CONNECT (RFC 8441 §4) that reaches the server: the gate answers every one. */
export type ExtendedConnectListener = (request: Http2ServerRequest, response: Http2ServerResponse) => void;

/**
 * Sends SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3) on the server's connections, and gives `take` every
 * extended CONNECT that arrives. Call it before the server listens: `updateSettings` applies to the sessions
 * that start afterwards. A setting sent later on a live session races the client's first request, and
 * withdrawing it is a connection error (§3: "MUST NOT send ... 0 after previously sending a value of 1"):
 * it is set once, on the server, and never unset.
 */
export function serveExtendedConnect(server: Http2UpgradeServer, take: ExtendedConnectListener): void {
  const taken = new WeakSet<ServerHttp2Stream>();
  server.updateSettings({ enableConnectProtocol: true });

  // The 'stream' API: nobody turns the stream into a 'connect' event. Prepended, so that it runs before
  // any compatibility layer that a 'request' listener added later would install.
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
    if (server.listenerCount('request') > 0) return; // the compatibility API emits 'connect' for it
    if (!isExtendedConnect({ method: headers[':method'], protocol: headers[':protocol'] as string | undefined })) {
      return;
    }
    taken.add(stream);
    take(new Http2ServerRequest(stream, headers, undefined as never, raw), new Http2ServerResponse(stream));
  };
  server.prependListener('stream', onStream as (...args: never[]) => void);

  const onConnect = (request: Http2ServerRequest | IncomingMessage, second: Http2ServerResponse | Duplex) => {
    const alone = server.listenerCount('connect') === 1;
    if (request.httpVersionMajor !== 2) {
      if (alone) (second as Duplex).destroy(); // HTTP/1.1 CONNECT: what Node does without a listener
      return;
    }
    const h2 = request as Http2ServerRequest;
    if (taken.has(h2.stream)) return;
    if (isExtendedConnect({ method: 'CONNECT', protocol: h2.headers[':protocol'] as string | undefined })) {
      taken.add(h2.stream);
      take(h2, second as Http2ServerResponse);
      return;
    }
    // A CONNECT for a tunnel (RFC 9113 §8.5) is not a WebSocket: another listener's, or refused.
    if (alone) refuseTunnel(h2.stream);
  };
  server.on('connect', onConnect as (...args: never[]) => void);
}

/**
 * 405 for a CONNECT that asks for a tunnel, as Node's own default, but a complete response: Node's leaves
 * the stream half-open until the client ends it.
 */
function refuseTunnel(stream: ServerHttp2Stream): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.on('error', () => {});
  const rejection = reject.methodNotAllowed;
  stream.respond(h2RejectionBlock(rejection));
  stream.end(rejection.payload.bytes);
}
