// biome-ignore-all assist/source/organizeImports: grouped as an app meets them, not by path
/**
 * `@wsgate/core`: what an application imports. Grouped as an app meets it: the gate, its routes and hook,
 * the policies a route is built from, the one table of answers, and the types that name what goes in and out.
 * Adapters import `@wsgate/core/adapter` instead.
 */

// The gate: create it, route, attach, observe, close.
export { createGate, Gate, type GateOptions } from './gate.js';
export {
  type CloseCause,
  type ConnectionCloseEvent,
  channels,
  type GateEvent,
  type HandshakeEvent,
} from './lifecycle/events.js';

// A connection's lifetime: its keys, revocation (local or over a channel), expiry, heartbeats, draining.
export { type CloseCodeName, CloseCodes, mayReconnect } from './lifecycle/close-codes.js';
export type { DrainOptions, DrainProgress, DrainResult } from './lifecycle/drain.js';
export type { ConnectionKeys, HeartbeatOptions, Instant, LifetimeOptions } from './decision/lifetime-options.js';
export {
  parseRevocationMessage,
  type Revocation,
  type RevocationChannel,
  type RevocationKey,
  type RevocationMessage,
  type RevokeOptions,
} from './lifecycle/revocation.js';

// Routes and the hook: what a route accepts and what its hook and handler see.
export type { Connection, ConnectionHandler, Upgrade, UpgradeHook } from './decision/hook.js';
export type { LegacyHandshake, RouteOptions } from './decision/route.js';
export type { FrameOptions, PerMessageDeflateOptions } from './engine/ws.js';

// Policies: Host, Origin, fetch metadata, cookies, quotas and rate limits, and the stores behind them.
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
export type {
  AcquireOptions,
  BatchStore,
  BatchVerdict,
  Lease,
  LeaseCheck,
  LeaseStore,
  LimitBatch,
  RateCheck,
  RateStore,
  RateVerdict,
} from './policy/stores.js';

// The table: every refusal, its status and its stable code.
export {
  CODE_HEADER,
  Rejection,
  type RejectionBody,
  type RejectionCode,
  type RejectionHeaders,
  reasonPhrase,
  reject,
} from './protocol/rejection.js';

// The protocol's pure rules, for apps and tests that check a request themselves.
export { type ExtensionOffer, parseExtensions } from './protocol/extensions.js';
export { acceptKey, checkOpeningHandshake, type HandshakeRequest } from './protocol/rfc6455.js';
export { negotiateSubprotocol, parseSubprotocols, type SubprotocolSelector } from './protocol/subprotocol.js';

// Types that name what goes in and out.
export type { FrameworkView } from './decision/facts.js';
export { WsgateTypeError } from './http/fields.js';
export type { HeaderLines } from './http/raw-headers.js';
export type { TransportName, UpgradeRequest } from './protocol/request.js';
