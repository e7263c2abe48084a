/**
 * A WebSocket handshake that reached its route, answered once Koa's middleware chain has unwound. Koa
 * writes a response only after the whole chain has returned, and middleware act on the way back out:
 * koa-session commits the session (its Set-Cookie) after `await next()`, with `rolling: true` on every
 * request. Answering inside the chain would send the 101 first, and every such write would then throw
 * ERR_HTTP_HEADERS_SENT; answered here, what they set rides on the 101 (the carried headers), and an error
 * on the way out is Koa's own answer (its 500), written instead of the 101.
 */

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { type AppUpgrade, accept, type Handshake, type Route } from '@wsgate/core/adapter';
import type { KoaView } from './view.js';

export interface ReachedRoute {
  readonly upgrade: AppUpgrade;
  readonly handshake: Handshake;
  readonly route: Route<unknown>;
  readonly view: KoaView;
}

type Request = IncomingMessage | Http2ServerRequest;

/** On the request: the route it reached, until the chain has unwound; `UNWOUND` once it has. */
const kReached = Symbol('wsgate.koa.reached');
const UNWOUND = Symbol('wsgate.koa.unwound');
type Carrier = { [kReached]?: ReachedRoute | typeof UNWOUND };

/** The route's last step: the handshake is answered when the chain has unwound (now, if it already has). */
export function answerWhenUnwound(request: Request, reached: ReachedRoute): void {
  const carrier = request as Carrier;
  if (carrier[kReached] === UNWOUND) answer(reached);
  else carrier[kReached] = reached;
}

/**
 * Koa is done with the request (its callback's promise settled). A middleware that did not await `next()`
 * may reach the route later: it is answered there and then.
 */
export function unwound(request: Request): void {
  const carrier = request as Carrier;
  const reached = carrier[kReached];
  carrier[kReached] = UNWOUND;
  if (reached !== undefined && reached !== UNWOUND) answer(reached);
}

/**
 * take() is false when the handshake ended meanwhile (the client left, the deadline passed: the response
 * is then finished for Koa's observers with the client's status), or when the app answered on the way
 * out (an error after `next()`: Koa's 500 went out instead).
 */
function answer({ upgrade, handshake, route, view }: ReachedRoute): void {
  if (upgrade.take()) void accept(handshake, route, view);
}
