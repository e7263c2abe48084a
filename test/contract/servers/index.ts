// Every server kind the contract runs against, with trust proxy off and on where the framework has it.
import express5 from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { coreServer } from './core.js';
import { expressServer } from './express.js';
import { fastifyServer } from './fastify.js';
import type { ServerFactory } from './kinds.js';
import { koaServer } from './koa.js';

export type { ContractServer, ServerFactory, ServerOptions } from './kinds.js';

/** One factory per server kind. */
export const serverKinds: ReadonlyArray<readonly [string, ServerFactory]> = [
  ['core', coreServer],
  ['express 4', (options) => expressServer('express 4', express4 as unknown as typeof express5, options)],
  ['express 5', (options) => expressServer('express 5', express5, options)],
  ['koa 2', (options) => koaServer('koa 2', Koa2 as unknown as typeof Koa3, options)],
  ['koa 3', (options) => koaServer('koa 3', Koa3, options)],
  ['fastify 5', fastifyServer],
];

/** The kinds that serve HTTP/2 (Express does not run on node:http2's compatibility API: packages/express). */
export const h2ServerKinds = serverKinds.filter(([kind]) => !kind.startsWith('express'));

/** Each kind with trust proxy off and on; the core once (it never reads X-Forwarded-*: not applicable). */
export const serverVariants: ReadonlyArray<{
  readonly name: string;
  readonly factory: ServerFactory;
  readonly trustProxy: boolean;
}> = serverKinds.flatMap(([kind, factory]) =>
  kind === 'core'
    ? [{ name: 'core (trust proxy n/a)', factory, trustProxy: false }]
    : [
        { name: `${kind}`, factory, trustProxy: false },
        { name: `${kind} + trust proxy`, factory, trustProxy: true },
      ],
);
