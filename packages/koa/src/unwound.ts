/**
 * A WebSocket handshake that reached its route, answered once Koa's middleware chain has unwound. Koa
 * writes a response only after the whole chain has returned, and middleware act on the way back out:
 * koa-session commits the session (its Set-Cookie) after `await next()`, with `rolling: true` on every
 * request. Answering inside the chain would send the 101 first, and every such write would then throw
 * ERR_HTTP_HEADERS_SENT; answered here, what they set rides on the 101 (the carried headers), and an error
 * on the way out is Koa's own answer (its 500), written instead of the 101: the core's `accept` then finds
 * the app has answered, and does nothing.
 */

import type { UpgradeRequest } from '@wsgate/core';

/** The answer a request's route is waiting to give, until the chain has unwound; `UNWOUND` once it has. */
const UNWOUND = Symbol('wsgate.koa.unwound');
const waiting = new WeakMap<UpgradeRequest, (() => unknown) | typeof UNWOUND>();

/** The route's last step: `answer` runs when the chain has unwound (now, if it already has). */
export function answerWhenUnwound(request: UpgradeRequest, answer: () => unknown): void {
  if (waiting.get(request) === UNWOUND) answer();
  else waiting.set(request, answer);
}

/**
 * Koa is done with the request (its callback's promise settled). A middleware that did not await `next()`
 * may reach the route later: it is answered there and then.
 */
export function unwound(request: UpgradeRequest): void {
  const answer = waiting.get(request);
  if (answer === undefined || answer === UNWOUND) {
    waiting.set(request, UNWOUND);
    return;
  }
  // Answered: the entry goes now rather than at the next major GC (V8's minor GC keeps WeakMap entries).
  waiting.delete(request);
  answer();
}
