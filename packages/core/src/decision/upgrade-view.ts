/** The `onUpgrade` hook's view of a handshake that passed every policy: one object per handshake. */

import { checkField, fieldValues } from '../http/fields.js';
import { headerLines } from '../http/raw-headers.js';
import { joinCookieHeaders, RequestCookies } from '../policy/cookies.js';
import { type Rejection, type RejectionBody, type RejectionHeaders, reject } from '../protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';
import type { Admission } from './admission.js';
import type { RequestSite } from './facts.js';
import type { CookieSource, Upgrade } from './hook.js';

/** The view the hook gets: one object per handshake whose hook runs, its getters on the prototype. */
export class UpgradeView implements Upgrade {
  readonly route: string;
  readonly origin: string | undefined;
  readonly offeredProtocols: readonly string[];
  readonly protocol: string | undefined;
  readonly protocolToken: string | undefined;
  /** Headers `setHeader` added, for the acceptance. */
  readonly headers: Record<string, string | readonly string[]> = {};
  readonly #site: RequestSite;
  readonly #cookieSource: CookieSource;
  readonly #aborts: { readonly signal: AbortSignal };
  #cookies: RequestCookies | undefined;

  constructor(
    route: string,
    site: RequestSite,
    admission: Admission,
    cookieSource: CookieSource,
    aborts: { readonly signal: AbortSignal },
  ) {
    this.route = route;
    this.origin = admission.origin;
    this.offeredProtocols = admission.offered;
    this.protocol = admission.protocol;
    this.protocolToken = admission.token;
    this.#site = site;
    this.#cookieSource = cookieSource;
    this.#aborts = aborts;
  }

  get request(): UpgradeRequest {
    return this.#site.wire.request;
  }
  get transport(): TransportName {
    return this.#site.wire.transport;
  }
  get secure(): boolean {
    return this.#site.secure;
  }
  get host(): string {
    return this.#site.host;
  }
  get ip(): string | undefined {
    return this.#site.ip;
  }
  get cookies(): Readonly<Record<string, string | undefined>> {
    return this.#site.view?.cookies ?? this.#jar().all;
  }
  get signedCookies(): Readonly<Record<string, string | undefined>> {
    return this.#site.view?.signedCookies ?? this.#jar().signed;
  }
  get signal(): AbortSignal {
    return this.#aborts.signal;
  }

  setHeader(name: string, value: string | readonly string[]): void {
    for (const text of fieldValues(value)) checkField('handshake', name, text);
    this.headers[name] = value;
  }

  reject(status: number, body?: RejectionBody, headers?: RejectionHeaders): Rejection {
    return reject.rejected(status, body, headers);
  }

  #jar(): RequestCookies {
    if (this.#cookies === undefined) {
      const lines = headerLines(this.#site.wire.headers, 'cookie');
      const { secrets, parser } = this.#cookieSource;
      this.#cookies = new RequestCookies(lines.length === 0 ? undefined : joinCookieHeaders(lines), secrets, parser);
    }
    return this.#cookies;
  }
}
