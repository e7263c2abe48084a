/**
 * `@wsgate/core/adapter`: what a framework adapter needs, and nothing an application does. An adapter
 * translates; every protocol answer and every policy comes from here. How the calls fit together is drawn
 * once, in docs/architecture.md ("How an adapter plugs in").
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { ConnectionHandler } from './decision/hook.js';
import { compileRoute, type Route, type RouteOptions } from './decision/route.js';
import type { Gate } from './gate.js';
import { gateState } from './gate.js';
import { openAppConnect as openConnectOn } from './serve/app-connect.js';
import { type AppUpgradeOptions, openAppUpgrade as openUpgradeOn } from './serve/app-upgrade.js';

export type { FrameworkView, WireFacts } from './decision/facts.js';
export type { Route } from './decision/route.js';
export { hasHeader } from './http/raw-headers.js';
export type { Handshake } from './lifecycle/pending-handshake.js';
export { accept, admit } from './lifecycle/pipeline.js';
export type { TransportName, UpgradeRequest } from './protocol/request.js';
export {
  type AppUpgrade,
  type AppUpgradeOptions,
  isUpgradeToWebSocket,
  upgradeOf,
  upgradeRequired,
} from './serve/app-upgrade.js';
export {
  type ExtendedConnectListener,
  type Http2UpgradeServer,
  isHttp2Server,
  serveExtendedConnect,
} from './serve/http2-server.js';
export { socketPair } from './serve/socket-pair.js';

/**
 * Compiles a route over the gate's options (its defaults), once, when the app defines it: a bad option
 * is a TypeError then, naming it.
 */
export function defineRoute<Context>(
  gate: Gate,
  path: string,
  options: RouteOptions<Context>,
  handler: ConnectionHandler<Context>,
): Route<Context> {
  return compileRoute(path, gateState(gate).options, options, handler);
}

/**
 * Opens the handshake of an upgrade request (the core's checks first: a refusal is written there and the app
 * never sees the request), then runs the app's request handler with a response written onto the socket.
 */
export function openAppUpgrade(
  gate: Gate,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  run: (request: IncomingMessage, response: ServerResponse) => void,
  options?: AppUpgradeOptions,
): void {
  openUpgradeOn(gateState(gate), request, socket, head, run, options);
}

/** The same for an HTTP/2 extended CONNECT that `serveExtendedConnect` handed over: the app sees it as a GET. */
export function openAppConnect(
  gate: Gate,
  request: Http2ServerRequest,
  response: Http2ServerResponse,
  run: (request: Http2ServerRequest, response: Http2ServerResponse) => void,
): void {
  openConnectOn(gateState(gate), request, response, run);
}
