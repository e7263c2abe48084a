// What every server kind of the contract suite gives the tests, and how they are listened on and closed.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gate, GateOptions } from '@wsgate/core';
import type { ContractApp } from '../app.js';

export interface ServerOptions {
  /** Express `trust proxy` (loopback), Koa `app.proxy`, Fastify `trustProxy`, @wsgate/hono `trustProxy`; the core has none. */
  readonly trustProxy: boolean;
  /** Extra gate options (e.g. `maxPending`). */
  readonly gate?: GateOptions;
}

export interface ContractServer {
  /** 'core', 'express 4', 'express 5', 'koa 2', 'koa 3', 'fastify 5', 'hono'. */
  readonly kind: string;
  /** Whether X-Forwarded-* is trusted: undefined for the core, which never reads it (not applicable). */
  readonly trustProxy: boolean | undefined;
  readonly port: number;
  readonly gate: Gate;
  readonly app: ContractApp;
  close(): Promise<void>;
}

export type ServerFactory = (options: ServerOptions) => Promise<ContractServer>;

export function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Refuses new handshakes, closes the WebSockets, then every connection and the server. */
export async function closeServer(gate: Gate, server: http.Server): Promise<void> {
  await gate.close({ timeout: 200 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
