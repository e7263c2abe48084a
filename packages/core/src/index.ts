export type { FrameworkView } from './decision/facts.js';
export type { Connection, ConnectionHandler, Upgrade, UpgradeHook } from './decision/hook.js';
export type { LegacyHandshake, RouteOptions } from './decision/route.js';
export type { FrameOptions, PerMessageDeflateOptions } from './engine/ws.js';
export { createGate, Gate, type GateOptions } from './gate.js';
export { WsgateTypeError } from './http/fields.js';
export type { HeaderLines } from './http/raw-headers.js';
export { channels, type HandshakeEvent } from './lifecycle/events.js';
export { type CookieParser, parseCookieHeader, RequestCookies, signCookie, unsignCookie } from './policy/cookies.js';
export { fetchMetadataAllows } from './policy/fetch-metadata.js';
export { allowHosts, defaultHostPolicy, type HostPolicy, loopbackHosts, parseHost } from './policy/host.js';
export { MemoryLeaseStore, MemoryRateStore } from './policy/memory-stores.js';
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
  type Quota,
  type QuotaInfo,
  type QuotaOptions,
  quotaPerIp,
  quotaPerKey,
  quotaPerRoute,
} from './policy/quota.js';
export {
  type RateInfo,
  type RateLimit,
  type RateLimitOptions,
  rateLimitPerIp,
  rateLimitPerKey,
} from './policy/rate-limit.js';
export type { OnStoreError } from './policy/store-call.js';
export type { Lease, LeaseStore, RateStore, RateVerdict } from './policy/stores.js';
export { type ExtensionOffer, parseExtensions } from './protocol/extensions.js';
export {
  CODE_HEADER,
  Rejection,
  type RejectionBody,
  type RejectionCode,
  type RejectionHeaders,
  reasonPhrase,
  reject,
} from './protocol/rejection.js';
export type { TransportName, UpgradeRequest } from './protocol/request.js';
export { acceptKey, checkOpeningHandshake, type HandshakeRequest } from './protocol/rfc6455.js';
export { negotiateSubprotocol, parseSubprotocols, type SubprotocolSelector } from './protocol/subprotocol.js';
