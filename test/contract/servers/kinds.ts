// What every server kind of the contract suite gives the tests, and how they are listened on and closed.
import type http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Gate, GateOptions } from '@wsgate/core';
import { testCredentials } from '../../h2/cert.js';
import type { ContractApp } from '../app.js';

export interface ServerOptions {
  /** Express `trust proxy` (loopback), Koa `app.proxy`, Fastify `trustProxy`; the core has none. */
  readonly trustProxy: boolean;
  /** Extra gate options (e.g. `maxPending`). */
  readonly gate?: GateOptions;
  /**
   * node:http2 over TLS with HTTP/1.1 fallback, WebSockets over both (RFC 8441 extended CONNECT and
   * upgrades), instead of node:http: the core, Koa and Fastify (Express has no HTTP/2: see h2ServerKinds).
   */
  readonly h2?: boolean;
}

export interface ContractServer {
  /** 'core', 'express 4', 'express 5', 'koa 2', 'koa 3', 'fastify 5'. */
  readonly kind: string;
  /** Whether X-Forwarded-* is trusted: undefined for the core, which never reads it (not applicable). */
  readonly trustProxy: boolean | undefined;
  readonly port: number;
  readonly gate: Gate;
  readonly app: ContractApp;
  /** Over HTTP/2: the server's sessions open now. */
  readonly sessions?: ReadonlySet<http2.ServerHttp2Session>;
  close(): Promise<void>;
}

export type ServerFactory = (options: ServerOptions) => Promise<ContractServer>;

/** A node:http2 server over TLS with HTTP/1.1 fallback, and the sessions it has open. */
export async function h2Server(
  handler: (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void,
): Promise<{ server: http2.Http2SecureServer; sessions: Set<http2.ServerHttp2Session> }> {
  const server = http2.createSecureServer({ ...(await testCredentials()), allowHTTP1: true }, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return { server, sessions };
}

export function listen(server: http.Server | http2.Http2SecureServer): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Refuses new handshakes, closes the WebSockets, then every connection and the server. */
export async function closeServer(
  gate: Gate,
  server: http.Server | http2.Http2SecureServer,
  sessions?: ReadonlySet<http2.ServerHttp2Session>,
): Promise<void> {
  await gate.close({ timeout: 200 });
  if ('closeAllConnections' in server) server.closeAllConnections();
  for (const session of sessions ?? []) session.destroy();
  await new Promise((resolve) => server.close(resolve));
}
