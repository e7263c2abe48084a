/**
 * What `admit` hands back and `accept` takes (pipeline.ts): a handshake admitted for a route, with the
 * route's admission and the request's site. It is also all the decision reads of the handshake
 * (`DecisionInputs`): the decision never sees the lifecycle's hub.
 */

import type { Admission } from '../decision/admission.js';
import type { DecisionInputs } from '../decision/decide.js';
import type { RequestSite } from '../decision/facts.js';
import type { CookieSource } from '../decision/hook.js';
import type { Route } from '../decision/route.js';
import type { Handshake } from './pending-handshake.js';

export class Admitted implements DecisionInputs {
  readonly route: Route<unknown>;
  readonly admission: Admission;
  readonly site: RequestSite;
  /** @internal */
  readonly handshake: Handshake;

  constructor(handshake: Handshake, route: Route<unknown>, admission: Admission, site: RequestSite) {
    this.handshake = handshake;
    this.route = route;
    this.admission = admission;
    this.site = site;
  }

  get cookies(): CookieSource {
    return this.handshake.gate.cookies;
  }

  get signal(): AbortSignal {
    return this.handshake.signal;
  }

  get inFlight(): boolean {
    return this.handshake.inFlight;
  }

  get closing(): boolean {
    return this.handshake.gate.closing;
  }

  report(error: unknown): void {
    this.handshake.report(error);
  }
}
