/**
 * Public types, and the declaration merging that makes `websocket` a Fastify route option and types the
 * handler of a WebSocket route (its socket, its request with the route's schema/type provider, and the
 * context returned by the route's `onUpgrade`).
 */

import type { Connection, Gate, GateOptions, RouteOptions as GateRouteOptions, Rejection, Upgrade } from '@wsgate/core';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
  RouteOptions,
} from 'fastify';
import type { WebSocket } from 'ws';

/**
 * The `onUpgrade` hook, with the Fastify request after the route's hooks ran (`request.session`,
 * `request.user`, `request.params`). Returns the connection's context, or a Rejection
 * (`upgrade.reject(...)`).
 */
export type FastifyUpgradeHook<Context> = (
  upgrade: Upgrade,
  request: FastifyRequest,
) => Context | Rejection | Promise<Context | Rejection>;

/** The plugin's options: the gate's (every WebSocket route's defaults), and how `fastify.close()` waits. */
export interface WsGatePluginOptions extends Omit<GateOptions, 'onUpgrade'> {
  /** Every WebSocket route's `onUpgrade` unless the route has its own. */
  onUpgrade?: FastifyUpgradeHook<unknown>;
  /**
   * On `fastify.close()`, open connections are closed with 1001 and awaited this many milliseconds before
   * the stragglers are terminated. Default 5 000.
   */
  closeTimeout?: number;
  /**
   * On an HTTP/2 server (`http2: true` in Fastify's options), WebSockets over HTTP/2 too (RFC 8441 extended
   * CONNECT, routed as a GET through the same routes and hooks). Default true; false advertises nothing,
   * and browsers open an HTTP/1.1 connection for their WebSockets (which needs `https.allowHTTP1`).
   */
  http2?: boolean;
}

/**
 * A WebSocket route's own options (the gate's route options): origin, subprotocols, requireSubprotocol,
 * perMessageDeflate, handshakeTimeout, maxPayload, quotas, onUpgrade… Unset ones come from the plugin's.
 */
export interface WebSocketRouteOptions<Context = unknown> extends Omit<GateRouteOptions<Context>, 'onUpgrade'> {
  onUpgrade?: FastifyUpgradeHook<Context>;
}

/**
 * The handler of a WebSocket route, called once the 101 is written. `this` is the route's (encapsulated)
 * Fastify instance, `request` the Fastify request that went through the route's hooks and schema,
 * `context` what the route's `onUpgrade` returned (undefined without one), and `connection` the core's
 * (`transport`: `'http/1.1'`, or `'hixie-76'` on a route with `legacy`, whose socket has only ws's basic
 * surface).
 */
export type WebSocketHandler<
  Context = unknown,
  RawServer extends RawServerBase = RawServerDefault,
  RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
  RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
  ContextConfig = ContextConfigDefault,
  SchemaCompiler extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
  Logger extends FastifyBaseLogger = FastifyBaseLogger,
> = (
  this: FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
  socket: WebSocket,
  request: FastifyRequest<RouteGeneric, RawServer, RawRequest, SchemaCompiler, TypeProvider, ContextConfig, Logger>,
  context: Context,
  connection: Connection<Context>,
) => unknown;

declare module 'fastify' {
  interface FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider> {
    /** The wsgate gate behind this app: `connections`, `pending`, `close()`. */
    wsgate: Gate;

    route<
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      Context = undefined,
    >(
      opts: Omit<
        RouteOptions<
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >,
        'handler' | 'websocket'
      > & {
        websocket: true | WebSocketRouteOptions<Context>;
        handler: WebSocketHandler<
          Context,
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >;
      },
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
  }

  interface FastifyRequest {
    /** True when the request asks to become a WebSocket (a handshake the gate has admitted so far). */
    websocket: boolean;
  }

  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /**
     * Makes this GET route a WebSocket route: `true`, or the route's gate options. With it the route's
     * handler is a `WebSocketHandler` (unless `wsHandler` is given), and a plain GET gets 426.
     */
    // biome-ignore lint/suspicious/noExplicitAny: the context type is inferred by the overloads below
    websocket?: boolean | WebSocketRouteOptions<any>;
    /**
     * A WebSocket handler next to the route's ordinary handler: upgrades go to `wsHandler`, plain requests
     * to `handler`.
     */
    wsHandler?: WebSocketHandler<
      // biome-ignore lint/suspicious/noExplicitAny: see `websocket`
      any,
      RawServer,
      RawRequest,
      RawReply,
      RouteGeneric,
      ContextConfig,
      SchemaCompiler,
      TypeProvider,
      Logger
    >;
  }

  interface RouteShorthandMethod<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    // `fastify.get(path, { websocket }, (socket, request, context) => ...)`
    <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      Context = undefined,
    >(
      path: string,
      opts: Omit<
        RouteShorthandOptions<
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >,
        'websocket'
      > & { websocket: true | WebSocketRouteOptions<Context> },
      handler: WebSocketHandler<
        Context,
        RawServer,
        RawRequest,
        RawReply,
        RouteGeneric,
        ContextConfig,
        SchemaCompiler,
        TypeProvider,
        Logger
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
    // `fastify.get(path, { websocket, handler })`
    <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      Context = undefined,
    >(
      path: string,
      opts: Omit<
        RouteShorthandOptions<
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >,
        'websocket'
      > & {
        websocket: true | WebSocketRouteOptions<Context>;
        handler: WebSocketHandler<
          Context,
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >;
      },
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
  }
}
