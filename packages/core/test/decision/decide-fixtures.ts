// What the decision tests share: a compiled route, a RequestSite over plain wire facts (no socket), inputs.
import { vi } from 'vitest';
import type { Admission } from '../../src/decision/admission.js';
import { type Accept, type DecisionInputs, decide } from '../../src/decision/decide.js';
import { type FrameworkView, RequestSite, type WireFacts } from '../../src/decision/facts.js';
import { compileRoute, type RouteOptions } from '../../src/decision/route.js';
import { Rejection } from '../../src/protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../../src/protocol/request.js';

export const request = { url: '/d', headers: {} } as unknown as UpgradeRequest;
export const ADMISSION: Admission = {
  origin: 'https://app.example',
  offered: ['chat'],
  token: 't',
  offers: [],
  protocol: 'chat',
};

export function route(options: RouteOptions = {}) {
  return compileRoute('/d', {}, options, () => {});
}

export function site(view?: FrameworkView, transport: TransportName = 'http/1.1'): RequestSite {
  const wire: WireFacts = {
    transport,
    request,
    headers: ['Host', 'app.example', 'Cookie', 'a=1'],
    hostHeader: 'app.example',
    authority: 'app.example',
    encrypted: true,
    peerAddress: '192.0.2.1',
  };
  return new RequestSite(wire, view);
}

/** What a test may change of the inputs; signal, pending and closing as functions, read when decide reads them. */
export interface InputOverrides {
  site?: DecisionInputs['site'];
  cookies?: DecisionInputs['cookies'];
  signal?: () => AbortSignal;
  pending?: () => boolean;
  closing?: () => boolean;
  report?: DecisionInputs['report'];
}

export function inputs(overrides: InputOverrides = {}): DecisionInputs {
  const controller = new AbortController();
  const signal = overrides.signal ?? (() => controller.signal);
  const pending = overrides.pending ?? (() => true);
  const closing = overrides.closing ?? (() => false);
  return {
    site: overrides.site ?? site(),
    cookies: overrides.cookies ?? { secrets: [], parser: undefined },
    get signal() {
      return signal();
    },
    get inFlight() {
      return pending();
    },
    get closing() {
      return closing();
    },
    report: overrides.report ?? vi.fn(),
  };
}

/** `decide` as a promise, whether it answered synchronously, asynchronously, or threw. */
export async function decided(...args: Parameters<typeof decide>) {
  return decide(...args);
}

export async function accepted(options: RouteOptions, given: InputOverrides = {}, admission = ADMISSION) {
  const result = await decided(route(options), admission, inputs(given));
  if (!(result !== undefined && !(result instanceof Rejection))) throw new Error(`not accepted: ${String(result)}`);
  return result as Accept;
}
