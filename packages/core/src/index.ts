export type { FrameOptions, PerMessageDeflateOptions } from './engine/ws.js';
export {
  type CloseCause,
  type ConnectionCloseEvent,
  channels,
  type GateEvent,
  type HandshakeEvent,
} from './events.js';
export type { FrameworkView, TransportName, UpgradeRequest } from './facts.js';
export { createGate, Gate, type GateOptions } from './gate.js';
export { type ExtensionOffer, parseExtensions } from './handshake/extensions.js';
export { acceptKey, checkOpeningHandshake, type HandshakeRequest } from './handshake/rfc6455.js';
export { negotiateSubprotocol, parseSubprotocols, type SubprotocolSelector } from './handshake/subprotocol.js';
export { WsgateTypeError } from './http/fields.js';
export type { HeaderLines } from './http/raw-headers.js';
export { type CloseCodeName, CloseCodes, mayReconnect } from './lifecycle/close-codes.js';
export type { DrainOptions, DrainProgress, DrainResult } from './lifecycle/drain.js';
export type {
  ConnectionKeys,
  HeartbeatOptions,
  Instant,
  LifetimeOptions,
} from './lifecycle/lifetime-options.js';
export {
  parseRevocationMessage,
  type Revocation,
  type RevocationChannel,
  type RevocationKey,
  type RevocationMessage,
  type RevokeOptions,
} from './lifecycle/revocation.js';
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
export {
  CODE_HEADER,
  Rejection,
  type RejectionBody,
  type RejectionCode,
  type RejectionHeaders,
  reasonPhrase,
  reject,
} from './rejection.js';
export type { LegacyHandshake, RouteOptions } from './route.js';
export type { Connection, ConnectionHandler, Upgrade, UpgradeHook } from './upgrade.js';
