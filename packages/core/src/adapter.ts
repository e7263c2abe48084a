/**
 * `@wsgate/core/adapter`: what a framework adapter needs, and nothing an application does. An adapter
 * translates; every protocol answer and every policy comes from here (docs/architecture.md, "Adapters"):
 *
 *   server 'upgrade'  -> openAppUpgrade(gate, req, socket, head, runTheApp)   the core's checks first
 *   node:http2 server -> serveExtendedConnect(server, (req, res) => openAppConnect(gate, req, res, runTheApp))
 *                        the same for an HTTP/2 extended CONNECT, which the app sees as a GET
 *   WebSocket route   -> upgradeOf(req): none -> write upgradeRequired(req) through the framework (426; 400
 *                        over HTTP/2, where Upgrade cannot be written)
 *                        admit(handshake, route, view)     as soon as the route is known
 *                        [the route's own middleware]
 *                        upgrade.take() && accept(handshake, route, view)
 *   port-free clients -> socketPair(): an in-memory connection that ends as TCP does
 */

import type { Gate } from './gate.js';
import { gateState } from './gate.js';
import { compileRoute, type Route, type RouteOptions } from './route.js';
import type { ConnectionHandler } from './upgrade.js';

export { openAppConnect } from './app-connect.js';
export {
  type AppUpgrade,
  type AppUpgradeOptions,
  headersAtHead,
  isUpgradeToWebSocket,
  openAppUpgrade,
  upgradeOf,
} from './app-upgrade.js';
export type { FrameworkView, TransportName, UpgradeRequest, WireFacts } from './facts.js';
export type { Handshake } from './handshake.js';
export { hasHeader } from './http/raw-headers.js';
export {
  type ExtendedConnectListener,
  type Http2UpgradeServer,
  isHttp2Server,
  serveExtendedConnect,
} from './http2-server.js';
export { accept, admit } from './pipeline.js';
export type { Route } from './route.js';
export { socketPair } from './socket-pair.js';
export { upgradeRequired } from './upgrade-required.js';

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
