import type { WebSocketMatcher } from './types.js';

export type { Gate, GateOptions, HandshakeEvent, RouteOptions, Upgrade, UpgradeHook } from '@wsgate/core';
export { Rejection, reject } from '@wsgate/core';
export { http1Only } from './http1-only.js';
export type {
  ExpressGate,
  UpgradeServer,
  WebSocketApp,
  WebSocketHandler,
  WebSocketMatcher,
  WebSocketRouteOptions,
  WsgateOptions,
} from './types.js';
export { wsgate } from './wsgate.js';

declare module 'express-serve-static-core' {
  interface Router {
    /**
     * `router.ws(path, [options], ...middleware, handler)`, added by `wsgate(app)` to every router of the
     * app's Express. The context is the route's own `onUpgrade` type, otherwise `unknown` (a router does
     * not know which app it will be mounted in).
     */
    ws: WebSocketMatcher<this, unknown>;
  }
}
