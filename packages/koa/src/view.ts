/**
 * What Koa knows better than the raw request, for the core to read only when it needs it: the scheme,
 * host and client IP after `app.proxy`, keygrip-signed cookies, and the headers the app's middleware set.
 */

import { parseCookieHeader } from '@wsgate/core';
import { type FrameworkView, hasHeader, headersAtHead, type WireFacts } from '@wsgate/core/adapter';
import type Koa from 'koa';

type Context = Koa.ParameterizedContext;

export class KoaView implements FrameworkView {
  readonly #ctx: Context;
  readonly #wire: WireFacts;

  constructor(ctx: Context, wire: WireFacts) {
    this.#ctx = ctx;
    this.#wire = wire;
  }

  /**
   * Koa's scheme differs from the connection's own only through X-Forwarded-Proto under `app.proxy`: without
   * that header, undefined says "the wire's", and Koa is not asked.
   */
  get secure(): boolean | undefined {
    return hasHeader(this.#wire.headers, 'x-forwarded-proto') ? this.#ctx.secure : undefined;
  }

  /**
   * Koa's host differs from the Host header or :authority (which the core has checked already) only through
   * X-Forwarded-Host under `app.proxy`: otherwise undefined says "the wire's", and Koa is not asked.
   */
  get host(): string | undefined {
    const ctx = this.#ctx;
    if (!ctx.app.proxy || !hasHeader(this.#wire.headers, 'x-forwarded-host')) return undefined;
    return ctx.host || undefined;
  }

  get ip(): string | undefined {
    return this.#ctx.ip || undefined;
  }

  get cookies(): Record<string, string | undefined> {
    return readCookies(this.#ctx, false);
  }

  /** Without app.keys Koa signs nothing: the core's own `cookieSecret` verification applies then. */
  get signedCookies(): Record<string, string | undefined> | undefined {
    return this.#ctx.app.keys ? readCookies(this.#ctx, true) : undefined;
  }

  /** Read once Koa's chain has unwound (gate.ts): what middleware set on the way back out rides too. */
  get responseHeaders(): ReturnType<Context['res']['getHeaders']> {
    return headersAtHead(this.#ctx.res);
  }
}

/** The request's cookies as Koa reads them (`ctx.cookies.get`), signed ones verified with app.keys. */
function readCookies(ctx: Context, signed: boolean): Record<string, string | undefined> {
  const out = Object.create(null) as Record<string, string | undefined>;
  const header = ctx.get('Cookie');
  if (header === '') return out;
  for (const name of Object.keys(parseCookieHeader(header))) {
    if (signed && name.endsWith('.sig')) continue;
    const value = ctx.cookies.get(name, { signed });
    if (value !== undefined) out[name] = value;
  }
  return out;
}
