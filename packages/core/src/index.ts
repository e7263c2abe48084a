export { type AppUpgrade, appUpgradeOf, openAppUpgrade } from './app-upgrade.js';
export type { FrameOptions, PerMessageDeflateOptions } from './engine/ws.js';
export {
  type Connection,
  type ConnectionHandler,
  channels,
  createGate,
  Gate,
  type GateOptions,
  Handshake,
  type HandshakeEvent,
  type RequestFacts,
  type Route,
  type RouteOptions,
  type Upgrade,
  type UpgradeHook,
} from './gate.js';
export { type ExtensionOffer, parseExtensions } from './handshake/extensions.js';
export { acceptKey, checkOpeningHandshake, type HandshakeRequest } from './handshake/rfc6455.js';
export { negotiateSubprotocol, parseSubprotocols, type SubprotocolSelector } from './handshake/subprotocol.js';
export { WsgateTypeError } from './http/fields.js';
export type { HeaderLines } from './http/raw-headers.js';
export { closeAfterFlush } from './http/response.js';
export { type CookieParser, parseCookieHeader, RequestCookies, signCookie, unsignCookie } from './policy/cookies.js';
export { fetchMetadataAllows } from './policy/fetch-metadata.js';
export { allowHosts, defaultHostPolicy, type HostPolicy, loopbackHosts, parseHost } from './policy/host.js';
export {
  allOf,
  allowOrigins,
  anyOf,
  anyOrigin,
  type OriginContext,
  type OriginPolicy,
  parseOrigin,
  sameOrigin,
} from './policy/origin.js';
export {
  MemoryQuotaStore,
  type Quota,
  type QuotaStore,
  quotaPerIp,
  quotaPerKey,
  quotaPerRoute,
} from './policy/quota.js';
export {
  Rejection,
  type RejectionBody,
  type RejectionCode,
  type RejectionHeaders,
  reasonPhrase,
  reject,
} from './rejection.js';
