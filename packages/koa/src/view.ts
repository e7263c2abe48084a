/**
 * What Koa knows better than the raw request, for the core to read only when it needs it: the scheme,
 * host and client IP after `app.proxy`, keygrip-signed cookies, and the headers the app's middleware set.
 */

import { parseCookieHeader } from '@wsgate/core';
import type { FrameworkView } from '@wsgate/core/adapter';
import type Koa from 'koa';

type Context = Koa.ParameterizedContext;

export class KoaView implements FrameworkView {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** Asked by the core only when the request carries X-Forwarded-Proto (`RequestSite`). */
  get secure(): boolean {
    return this.#ctx.secure;
  }

  /**
   * Asked by the core only when the request carries X-Forwarded-Host (`RequestSite`): Koa forwards it only under
   * `app.proxy`; otherwise undefined says "the Host header, already checked".
   */
  get host(): string | undefined {
    const ctx = this.#ctx;
    return ctx.app.proxy ? ctx.host || undefined : undefined;
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

  get responseHeaders(): ReturnType<Context['res']['getHeaders']> {
    return this.#ctx.res.getHeaders();
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
