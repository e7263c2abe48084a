/**
 * What Express knows better than the raw request, for the core to read only when it needs it: the
 * scheme, host and client IP after `trust proxy`, cookie-parser's cookies, and the headers the app's
 * middleware set on its response.
 */

import type { ServerResponse } from 'node:http';
import { type FrameworkView, headersAtHead } from '@wsgate/core/adapter';
import type { Request } from 'express';

/**
 * Express gives each request and response a new prototype (its init middleware), after which every property
 * read on them misses V8's inline caches (`node --log-ic`: a runtime lookup per read, per handshake). So the
 * core takes what the wire already says from there, and asks Express only where its answer can differ.
 */
export class ExpressView implements FrameworkView {
  readonly #req: Request;
  readonly #response: ServerResponse;

  constructor(req: Request, response: ServerResponse) {
    this.#req = req;
    this.#response = response;
  }

  /** Asked by the core only when the request carries X-Forwarded-Proto (`RequestSite`). */
  get secure(): boolean {
    return this.#req.secure;
  }

  /** Asked by the core only when the request carries X-Forwarded-Host (`RequestSite`). */
  get host(): string | undefined {
    return hostOf(this.#req);
  }

  get ip(): string | undefined {
    return this.#req.ip;
  }

  get cookies(): Record<string, string> | undefined {
    return strings(this.#req.cookies);
  }

  /** cookie-parser without a secret leaves signedCookies empty: the gate's cookieSecret verifies then. */
  get signedCookies(): Record<string, string> | undefined {
    const req = this.#req as Request & { secret?: unknown };
    return typeof req.secret === 'string' ? strings(req.signedCookies) : undefined;
  }

  /**
   * The app's response is the one the core made over the upgrade's socket (Express's `res`): its headers as
   * its head would carry them, with what `on-headers` hooks add then (express-session's cookie).
   */
  get responseHeaders(): ReturnType<ServerResponse['getHeaders']> {
    return headersAtHead(this.#response);
  }
}

/**
 * The Host the client addressed, port included, after `trust proxy`: Express 5's `req.host`. Express 4's
 * `req.host` is a deprecated alias of `req.hostname` (no port), so for Express 4 (which still has
 * `req.param`) the same rule is applied here, from the same `trust proxy` setting.
 */
function hostOf(req: Request): string | undefined {
  if (typeof (req as { param?: unknown }).param !== 'function') return req.host;
  let host = req.get('X-Forwarded-Host');
  if (host) {
    const trust = req.app.get('trust proxy fn') as (address: string | undefined, hop: number) => boolean;
    if (!trust(req.socket.remoteAddress, 0)) host = undefined;
    else if (host.includes(',')) host = host.slice(0, host.indexOf(',')).trimEnd();
  }
  return host || req.get('Host') || undefined;
}

/**
 * cookie-parser's records hold more than strings: `false` for a signed cookie that failed verification and
 * objects for `j:` JSON cookies. The core's contract is "forged ones are absent": keep strings only.
 */
function strings(record: unknown): Record<string, string> | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(record)) if (typeof value === 'string') out[name] = value;
  return out;
}
