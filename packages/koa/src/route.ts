/**
 * `ws.route(...)`: a Koa middleware that takes the WebSocket handshake. Its route's checks (Origin,
 * subprotocols) run as soon as the request reaches it, then the route's own middleware, which may answer
 * instead (`ctx.throw(401)`); the handshake is answered once Koa's chain has unwound (unwound.ts). A plain
 * request gets the core's 426 through Koa.
 */

import type { Connection, Gate, Upgrade, UpgradeRequest } from '@wsgate/core';
import { type Admitted, defineRoute, type Route, upgradeOf, upgradeRequired } from '@wsgate/core/adapter';
import type Koa from 'koa';
import type { WebSocket } from 'ws';
import type {
  KoaConnectionHandler,
  KoaContext,
  KoaRouteOptions,
  KoaUpgradeHook,
  WebSocketMiddleware,
} from './types.js';
import { answerWhenUnwound } from './unwound.js';
import { KoaView } from './view.js';

/** What a route needs of its gate. */
export interface RouteSite<Context, Ctx> {
  readonly gate: Gate;
  readonly onUpgrade: KoaUpgradeHook<Context, Ctx> | undefined;
  /** A plain request reached the route: a WebSocket upgrade that did not come through `attach` is warned of. */
  warnUnattached(ctx: KoaContext): void;
}

/** The Koa context of each request on its way through a WebSocket route, for the hook and the handler. */
const contexts = new WeakMap<UpgradeRequest, KoaContext>();

/** The Koa context of a request that reached a WebSocket route (for errors reported with it). */
export function contextOf(request: UpgradeRequest): KoaContext | undefined {
  return contexts.get(request);
}

/** The route's middleware: checked now (a bad option is a TypeError here); compiled once per route pattern. */
export function websocketRoute<Context, Ctx extends KoaContext>(
  site: RouteSite<Context, Ctx>,
  options: KoaRouteOptions<Context, Ctx>,
  middleware: ReadonlyArray<(ctx: Ctx, next: Koa.Next) => unknown>,
  handler: KoaConnectionHandler<Context, Ctx>,
): WebSocketMiddleware<Ctx> {
  const { path, onUpgrade, ...routeOptions } = options;
  const hook = onUpgrade ?? site.onUpgrade;
  const coreOptions = {
    ...routeOptions,
    // Only a route with a hook pays for the hook's view.
    onUpgrade: hook && ((upgrade: Upgrade) => hook(upgrade, contexts.get(upgrade.request) as Ctx)),
  };
  // Once the handler has the ctx, the entry goes: V8's minor GC keeps a WeakMap's entries, and one left in
  // would keep every handshake's ctx alive until a major GC. A handler that throws or rejects leaves it, for
  // the report that names its ctx.
  const coreHandler = (socket: WebSocket, connection: Connection<Context>) => {
    const { request } = connection;
    const result = handler(socket, contexts.get(request) as Ctx, connection);
    const forget = () => contexts.delete(request);
    if (result instanceof Promise) void result.then(forget, () => {});
    else forget();
    return result;
  };
  const compiled = new Map<string, Route<Context>>();
  const routeFor = (label: string) => {
    let route = compiled.get(label);
    if (route === undefined) {
      route = defineRoute(site.gate, label, coreOptions, coreHandler);
      compiled.set(label, route);
    }
    return route;
  };
  routeFor(path ?? '*');

  return async function websocketRoute(ctx: Ctx) {
    const upgrade = upgradeOf(ctx.req);
    if (upgrade === undefined) {
      site.warnUnattached(ctx);
      return upgradeRequiredThroughKoa(ctx);
    }
    contexts.set(ctx.req, ctx);
    // From a refusal on, the core has answered on the socket: Koa must write nothing. Awaited only when
    // a policy is async, so that a synchronous admission costs no turn of the microtask queue.
    const admitting = upgrade.admit(routeFor(labelOf(ctx, path)), new KoaView(ctx));
    const admitted: Admitted | undefined = admitting instanceof Promise ? await admitting : admitting;
    if (admitted === undefined) {
      ctx.respond = false;
      return;
    }
    const run = async (i: number): Promise<unknown> => {
      if (i < middleware.length) return middleware[i]?.(ctx, () => run(i + 1) as Promise<void>);
      // Koa writes nothing more: the core answers, or the app already has (a middleware that wrote its own
      // response on ctx.res and still let the request through: its answer stands).
      ctx.respond = false;
      if (upgrade.appResponded) return;
      // Koa writes a response once its whole chain has unwound, and middleware act on the way back out
      // (koa-session commits the session there): the handshake is answered then, so that what they set
      // rides on the 101 and nothing they do finds the response already sent. Meanwhile they see the
      // acceptance's status (an extended CONNECT's is 200: HTTP/2 has no 101, RFC 8441 §5).
      ctx.status = upgrade.transport === 'h2' ? 200 : 101;
      answerWhenUnwound(ctx.req, () => upgrade.accept(admitted));
    };
    await run(0);
  };
}

/** Answers 426 to a plain request through Koa (the core's answer: RFC 9110 §15.5.22, §7.8; 400 over HTTP/2). */
export function upgradeRequiredThroughKoa(ctx: KoaContext): void {
  const { status, headers, body } = upgradeRequired(ctx.req);
  ctx.status = status;
  ctx.set(headers);
  ctx.body = body;
}

function labelOf(ctx: KoaContext, path: string | undefined): string {
  if (path !== undefined) return path;
  const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
  return matched === undefined ? '*' : String(matched);
}
