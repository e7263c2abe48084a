export type { Gate, HandshakeEvent, Upgrade, UpgradeHook } from '@wsgate/core';
export { Rejection, reject } from '@wsgate/core';
export { InjectWebSocketError } from './inject.js';
export { wsgate, wsgate as default } from './plugin.js';
export type {
  InjectWebSocket,
  InjectWebSocketOptions,
  WebSocketHandler,
  WebSocketRouteOptions,
  WsGatePluginOptions,
} from './types.js';
