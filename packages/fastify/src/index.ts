export type { Gate, HandshakeEvent, Upgrade, UpgradeHook } from '@wsgate/core';
export { Rejection, reject } from '@wsgate/core';
export { wsgate, wsgate as default } from './plugin.js';
export type { FastifyUpgradeHook, WebSocketHandler, WebSocketRouteOptions, WsGatePluginOptions } from './types.js';
