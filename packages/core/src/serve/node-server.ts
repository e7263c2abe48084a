/**
 * The gate on a plain node:http(s) server: upgrades routed by exact path (query ignored). Attaching
 * changes nothing for requests that are not WebSocket handshakes for a route:
 *
 *   - a WebSocket handshake on a route's path: the pipeline, then the route's handler;
 *   - a WebSocket handshake on any other path: the core's checks, then the server's own 'request'
 *     listeners answer it as the ordinary request it also is (or `fallback`, for another upgrade handler);
 *   - an upgrade to another protocol (h2c…): an ordinary request for the 'request' listeners, as if no
 *     upgrade listener existed (RFC 9110 §7.8 lets a server ignore Upgrade); on a route's path, 426;
 *   - a plain request on a route's path: 426 through `handleRequest`, from the app's request handler.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Route } from '../decision/route.js';
import type { GateState } from '../lifecycle/gate-state.js';
import { admitAndAccept, open } from '../lifecycle/pipeline.js';
import { reject } from '../protocol/rejection.js';
import { chooseHttp1Transport } from '../transport/choose.js';
import { closeAfterFlush, formatRejection } from '../transport/http1-head.js';
import { Http2Transport } from '../transport/http2.js';
import { socketIsFree, whenSocketFree } from '../transport/pending-socket.js';
import { openAppUpgrade } from './app-upgrade.js';
import { handshakeOf, offersWebSocket, upgradeRequired } from './upgrade-of.js';

export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What `attach` needs of a server: node:http, node:https, or node:http2 (WebSockets over both HTTP/1.1 and HTTP/2). */
export interface UpgradeServer {
  on(event: 'upgrade', listener: UpgradeListener): unknown;
}

/** A server that may also serve ordinary requests (for upgrades that are not for a route). */
type RequestServer = { listenerCount?(event: 'request'): number; emit?(event: 'request', ...args: unknown[]): boolean };

export function pathOf(request: { url?: string | undefined }): string {
  let url = request.url ?? '/';
  // RFC 9112 §3.2.2: an absolute-form target's path follows its authority (the frameworks route it so too).
  if (!url.startsWith('/')) url = url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*\/?/, '/');
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * One upgrade request on `server`. `fallback` takes WebSocket handshakes for paths without a route
 * (another library's upgrade handler); without it, the server's 'request' listeners answer them.
 */
export function dispatchUpgrade(
  state: GateState,
  routes: ReadonlyMap<string, Route<unknown>>,
  server: RequestServer | undefined,
  fallback: UpgradeListener | undefined,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const route = routes.get(pathOf(request));
  if (route === undefined) {
    if (fallback !== undefined) fallback(request, socket, head);
    else serveAsRequest(state, server, request, socket, head);
    return;
  }
  if (!offersWebSocket(request)) {
    refuseOnSocket(socket, request.method);
    return;
  }
  if (socketIsFree(socket)) openAndAccept(state, route, request, socket, head);
  else whenSocketFree(socket, () => openAndAccept(state, route, request, socket, head));
}

function openAndAccept(
  state: GateState,
  route: Route<unknown>,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
) {
  const handshake = open(state, chooseHttp1Transport(request, socket, head));
  if (handshake !== undefined) void admitAndAccept(handshake, route);
}

/**
 * One extended CONNECT (RFC 8441) on an HTTP/2 server: the pipeline on a route's path. On any other path,
 * after the core's checks, 404: a CONNECT is not an ordinary request the server's 'request' listeners could
 * answer (Node never gives them one).
 */
export function dispatchConnect(
  state: GateState,
  routes: ReadonlyMap<string, Route<unknown>>,
  request: Http2ServerRequest,
): void {
  state.trackSession(request.stream.session);
  const handshake = open(state, new Http2Transport(request));
  if (handshake === undefined) return;
  const route = routes.get(pathOf(request));
  if (route === undefined) handshake.reject(reject.notFound);
  else void admitAndAccept(handshake, route);
}

/** The upgrade as an ordinary request, for the server's 'request' listeners (or 404 when it has none). */
function serveAsRequest(
  state: GateState,
  server: RequestServer | undefined,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  openAppUpgrade(state, request, socket, head, (req, res) => {
    if (server?.emit !== undefined && (server.listenerCount?.('request') ?? 0) > 0) {
      server.emit('request', req, res);
      return;
    }
    const handshake = handshakeOf(req);
    if (handshake !== undefined) handshake.reject(reject.notFound);
    else res.writeHead(404).end();
  });
}

function refuseOnSocket(socket: Duplex, method: string | undefined): void {
  socket.on('error', () => {});
  closeAfterFlush(socket, formatRejection(reject.notAnUpgrade, method));
}

/**
 * For the app's request handler: answers a plain (non-upgrade) request to a route's path with 426 (400 over
 * HTTP/2: see `upgradeRequired`) and returns true; returns false for every other request.
 */
export function handleRequest(
  routes: ReadonlyMap<string, Route<unknown>>,
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  if (!routes.has(pathOf(request))) return false;
  const { status, headers, body } = upgradeRequired(request);
  response.writeHead(status, headers).end(request.method === 'HEAD' ? undefined : body);
  return true;
}
