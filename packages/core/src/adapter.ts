/**
 * `@wsgate/core/adapter`: what a framework adapter needs, and nothing an application does. An adapter
 * translates; every protocol answer and every policy comes from here. How the calls fit together, and a
 * walk-through for writing an adapter, are in docs/architecture.md ("How an adapter plugs in").
 */

import type { ConnectionHandler } from './decision/hook.js';
import { compileRoute, type Route, type RouteOptions } from './decision/route.js';
import type { Gate } from './gate.js';
import { gateState } from './gate.js';
import { type AppRequestHandler, AppServer, type AppServing, type ServeAppOptions } from './serve/app-serving.js';

export type { FrameworkView } from './decision/facts.js';
export type { Route } from './decision/route.js';
export type { Admitted } from './lifecycle/admitted.js';
export type { AppServing } from './serve/app-serving.js';
export { headersAtHead } from './serve/app-upgrade.js';
export { socketPair } from './serve/socket-pair.js';
export { type AppUpgrade, isUnattachedUpgrade, upgradeOf, upgradeRequired } from './serve/upgrade-of.js';

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
 * Serves `app` (its request handler, as a node:http or node:http2 server calls it) with its WebSocket routes:
 * each upgrade request, and each extended CONNECT, gets the core's checks first (a refusal is written there and
 * the app never sees the request), then runs through the app with a response written onto its socket or stream.
 */
export function serveApp(gate: Gate, app: AppRequestHandler, options?: ServeAppOptions): AppServing {
  return new AppServer(gateState(gate), app, options);
}
