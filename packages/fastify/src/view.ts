/**
 * What Fastify knows better than the raw request, for the core to read only when it needs it: the
 * scheme, host and client IP after `trustProxy`, @fastify/cookie's cookies, and the reply's headers.
 */

import type { FrameworkView } from '@wsgate/core/adapter';
import type { FastifyReply, FastifyRequest } from 'fastify';

type CookieRequest = FastifyRequest & {
  cookies?: Record<string, string | undefined> | null;
  unsignCookie?: (value: string) => { valid: boolean; value: string | null };
};

export class FastifyView implements FrameworkView {
  readonly #request: CookieRequest;
  readonly #reply: FastifyReply;

  constructor(request: FastifyRequest, reply: FastifyReply) {
    this.#request = request as CookieRequest;
    this.#reply = reply;
  }

  /** Asked by the core only when the request carries X-Forwarded-Proto (`RequestSite`). */
  get secure(): boolean {
    return this.#request.protocol === 'https';
  }

  /** Asked by the core only when the request carries X-Forwarded-Host (`RequestSite`). */
  get host(): string | undefined {
    return this.#request.host || undefined;
  }

  get ip(): string | undefined {
    return this.#request.ip || undefined;
  }

  get cookies(): Record<string, string | undefined> | undefined {
    return this.#request.cookies ?? undefined;
  }

  /** @fastify/cookie's own signature format, verified with its secret. */
  get signedCookies(): Record<string, string | undefined> | undefined {
    const { cookies, unsignCookie } = this.#request;
    if (cookies === undefined || cookies === null || typeof unsignCookie !== 'function') return undefined;
    const out = Object.create(null) as Record<string, string | undefined>;
    for (const [name, raw] of Object.entries(cookies)) {
      if (raw === undefined) continue;
      try {
        const result = unsignCookie.call(this.#request, raw);
        if (result.valid && result.value !== null) out[name] = result.value;
      } catch {
        // not in the signer's format
      }
    }
    return out;
  }

  /** Headers the app's hooks set with `reply.header(...)` before the route took the handshake. */
  get responseHeaders(): ReturnType<FastifyReply['getHeaders']> {
    return this.#reply.getHeaders();
  }
}
