// Every server kind the contract runs against (wsgate-fixtures), with the contract app on it, listening, and
// with trust proxy off and on where the framework has it.
import type http2 from 'node:http2';
import type { Gate, GateOptions } from '@wsgate/core';
import { serverKinds as fixtureKinds, type ServerKind } from 'wsgate-fixtures';
import { testCredentials } from '../h2/cert.js';
import { type ContractApp, contractApp } from './app.js';

export interface ServerOptions {
  /** Express `trust proxy` (loopback), Koa `app.proxy`, Fastify `trustProxy`, @wsgate/hono `trustProxy`; the core has none. */
  readonly trustProxy: boolean;
  /** Extra gate options (e.g. `maxPending`). */
  readonly gate?: GateOptions;
  /**
   * node:http2 over TLS with HTTP/1.1 fallback, WebSockets over both (RFC 8441 extended CONNECT and
   * upgrades), instead of node:http: the core, Koa, Fastify and Hono (Express has no HTTP/2: see h2ServerKinds).
   */
  readonly h2?: boolean;
}

export interface ContractServer {
  /** 'core', 'express 4', 'express 5', 'koa 2', 'koa 3', 'fastify 5', 'hono'. */
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

function factoryOf({ kind, build, trustProxy: hasTrustProxy }: ServerKind): ServerFactory {
  return async (options) => {
    const app = contractApp(options.gate);
    const built = await build(app.spec(), {
      trustProxy: options.trustProxy,
      ...(options.h2 && { h2: await testCredentials() }),
    });
    const { port, sessions } = await built.listen();
    const trustProxy = hasTrustProxy ? options.trustProxy : undefined;
    return { kind, trustProxy, port, gate: built.gate, app, ...(sessions && { sessions }), close: () => built.close() };
  };
}

/** One factory per server kind. */
export const serverKinds: ReadonlyArray<readonly [string, ServerFactory]> = fixtureKinds.map(
  (kind) => [kind.kind, factoryOf(kind)] as const,
);

/** The kinds that serve HTTP/2 (Express does not run on node:http2's compatibility API: packages/express). */
export const h2ServerKinds: ReadonlyArray<readonly [string, ServerFactory]> = fixtureKinds
  .filter((kind) => kind.h2)
  .map((kind) => [kind.kind, factoryOf(kind)] as const);

/** Each kind with trust proxy off and on; the core once (it never reads X-Forwarded-*: not applicable). */
export const serverVariants: ReadonlyArray<{
  readonly name: string;
  readonly factory: ServerFactory;
  readonly trustProxy: boolean;
}> = fixtureKinds.flatMap((kind) => {
  const factory = factoryOf(kind);
  return kind.trustProxy
    ? [
        { name: kind.kind, factory, trustProxy: false },
        { name: `${kind.kind} + trust proxy`, factory, trustProxy: true },
      ]
    : [{ name: `${kind.kind} (trust proxy n/a)`, factory, trustProxy: false }];
});
