/**
 * What a test hands the kit, and the node:http server behind it. The kit never listens by default: it gives
 * connections to that server as a listening server would, so the server must be a plain `http.Server`
 * (an HTTPS or HTTP/2 server expects TLS bytes or h2 frames on a connection, not an HTTP/1.1 request).
 *
 * Express, Koa and Hono apps are request handlers, not servers: the kit makes one server per app, the way
 * `app.listen` (or node-server's `serve`) would, attaches the app's gate to it, and keeps it for the app's
 * lifetime.
 */

import { createServer, type IncomingMessage, type RequestListener, Server, type ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** An Express app after `wsgate(app)` (@wsgate/express). */
export interface ExpressTarget {
  (request: IncomingMessage, response: ServerResponse): unknown;
  readonly wsgate: { attach(server: { on(event: 'upgrade', listener: UpgradeListener): unknown }): unknown };
}

/** A Koa app and its gate: `{ app, ws }` where `ws = koaGate(app)` (@wsgate/koa). */
export interface KoaTarget {
  readonly app: { callback(): (request: IncomingMessage, response: ServerResponse) => unknown };
  readonly ws: { attach(server: { on(event: 'upgrade', listener: UpgradeListener): unknown }): unknown };
}

/**
 * A Hono app and its gate: `{ app, ws }` where `ws = wsgate(app)` (@wsgate/hono), served by node-server's
 * request listener, as `serve({ fetch: app.fetch })` serves it.
 */
export interface HonoTarget {
  readonly app: { fetch(request: Request, ...rest: never[]): unknown };
  readonly ws: {
    readonly requestListener: (request: IncomingMessage, response: ServerResponse) => unknown;
    attach(server: { on(event: 'upgrade', listener: UpgradeListener): unknown }): unknown;
  };
}

/** A Fastify instance with the @wsgate/fastify plugin registered (over plain HTTP). */
export interface FastifyTarget {
  readonly server: unknown;
  ready(): PromiseLike<unknown>;
}

/**
 * Whatever serves the WebSocket routes under test: an Express app, `{ app, ws }` for Koa or Hono, a Fastify
 * instance, or a node:http server with a core gate attached (`createGate().route(...).attach(server)`).
 */
export type TestTarget = Server | ExpressTarget | KoaTarget | HonoTarget | FastifyTarget;

/** One server per Express app / Koa gate, created on first use. */
const servers = new WeakMap<object, Server>();

/** The node:http server that serves `target`'s requests and upgrades (Fastify: once it is ready). */
export async function serverOf(target: TestTarget): Promise<Server> {
  if (target instanceof Server) return target;
  if (isFastify(target)) {
    await target.ready();
    if (!(target.server instanceof Server)) throw notPlainHttp('this Fastify instance');
    return target.server;
  }
  if (isExpress(target)) return cached(target, () => attached(createServer(target), target.wsgate));
  if (isHono(target)) return cached(target.ws, () => attached(createServer(target.ws.requestListener), target.ws));
  if (isKoa(target)) return cached(target.ws, () => attached(createServer(lazyCallback(target.app)), target.ws));
  if ((target as unknown) instanceof NetServer) throw notPlainHttp('this server');
  throw new TypeError(
    '@wsgate/testing: the target must be an Express app after wsgate(app), { app, ws } for Koa (ws = koaGate(app)) ' +
      'or Hono (ws = wsgate(app)), a Fastify instance with @wsgate/fastify, or a node:http Server with a gate attached',
  );
}

function cached(key: object, create: () => Server): Server {
  let server = servers.get(key);
  if (server === undefined) {
    server = create();
    servers.set(key, server);
  }
  return server;
}

function attached(server: Server, gate: { attach(server: Server): unknown }): Server {
  gate.attach(server);
  return server;
}

/**
 * Koa composes its middleware when `callback()` is called: as `app.listen` does, compose it at the first
 * request, so that middleware added after the app was first handed to the kit is not missed.
 */
function lazyCallback(app: KoaTarget['app']): RequestListener {
  let handle: ((request: IncomingMessage, response: ServerResponse) => unknown) | undefined;
  return (request, response) => {
    handle ??= app.callback();
    handle(request, response);
  };
}

function notPlainHttp(what: string): TypeError {
  return new TypeError(
    `@wsgate/testing: ${what} does not run a plain node:http server (HTTPS or HTTP/2?): ` +
      'in-memory connections carry plain HTTP/1.1',
  );
}

function isFastify(target: object): target is FastifyTarget {
  return typeof (target as Partial<FastifyTarget>).ready === 'function' && 'server' in target;
}

function isExpress(target: object): target is ExpressTarget {
  return typeof target === 'function' && typeof (target as Partial<ExpressTarget>).wsgate?.attach === 'function';
}

function isHono(target: object): target is HonoTarget {
  const { app, ws } = target as Partial<HonoTarget>;
  return (
    typeof app?.fetch === 'function' && typeof ws?.requestListener === 'function' && typeof ws.attach === 'function'
  );
}

function isKoa(target: object): target is KoaTarget {
  const { app, ws } = target as Partial<KoaTarget>;
  return typeof app?.callback === 'function' && typeof ws?.attach === 'function';
}
