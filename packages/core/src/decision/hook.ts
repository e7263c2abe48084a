/**
 * What the application writes against: the `onUpgrade` hook's view of a handshake that passed every policy,
 * and the connection its handler gets once the handshake is done.
 */

import type { WebSocket } from 'ws';
import type { CookieParser } from '../policy/cookies.js';
import type { Rejection, RejectionBody, RejectionHeaders } from '../protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';

/** What the `onUpgrade` hook sees and can do. */
export interface Upgrade {
  readonly request: UpgradeRequest;
  /** The route's path pattern (or the adapter's label for it). */
  readonly route: string;
  /** Which protocol carried the handshake. */
  readonly transport: TransportName;
  /** The request's own scheme and authority, as the framework sees them (trust-proxy applied). */
  readonly secure: boolean;
  readonly host: string;
  /** The client's address, as the framework sees it (trust-proxy applied); the socket's peer on plain node:http. */
  readonly ip: string | undefined;
  readonly origin: string | undefined;
  /** Protocols the client offered, in its order (a protocol token entry removed). */
  readonly offeredProtocols: readonly string[];
  /** The protocol the server selected, if any. */
  readonly protocol: string | undefined;
  /** The token carried in the subprotocol list (`protocolToken` option), never echoed back. */
  readonly protocolToken: string | undefined;
  /** Cookies, parsed on first access (or the framework's own, from the adapter). */
  readonly cookies: Readonly<Record<string, string | undefined>>;
  /** Signed cookies that verify against `cookieSecret` (or the framework's keys); forged ones are absent. */
  readonly signedCookies: Readonly<Record<string, string | undefined>>;
  /** Aborted when the client goes away or the handshake deadline passes. */
  readonly signal: AbortSignal;
  /**
   * Adds a header to the response that accepts the handshake (e.g. Set-Cookie). A TypeError at the call
   * for a name or value RFC 9110 §5.5 forbids, or for a header the handshake writes itself (Upgrade,
   * Connection, Sec-WebSocket-*, Content-Length, Transfer-Encoding).
   */
  setHeader(name: string, value: string | readonly string[]): void;
  /** A rejection to return (or throw) from the hook: a status from 300 to 599, body (string, Buffer or JSON) and headers. */
  reject(status: number, body?: RejectionBody, headers?: RejectionHeaders): Rejection;
}

/** Returns the connection's context, or a Rejection. May be async; the deadline covers it. */
export type UpgradeHook<Context> = (upgrade: Upgrade) => Context | Rejection | Promise<Context | Rejection>;

export interface Connection<Context> {
  readonly context: Context;
  readonly request: UpgradeRequest;
  readonly protocol: string | undefined;
  readonly route: string;
  /** Which protocol carried the handshake: `'http/1.1'`, `'h2'` (RFC 8441) or `'hixie-76'` (legacy). */
  readonly transport: TransportName;
}

/** Called once the handshake is accepted. A throw or a rejected promise is reported and closes the socket with 1011. */
export type ConnectionHandler<Context> = (socket: WebSocket, connection: Connection<Context>) => unknown;

/** Where the hook's cookies come from: the framework's, else the request's Cookie lines with the gate's secrets. */
export interface CookieSource {
  readonly secrets: readonly string[];
  readonly parser: CookieParser | undefined;
}
