// What the decision tests share: a compiled route, a RequestSite over plain wire facts (no socket), inputs.
import { vi } from 'vitest';
import type { Admission } from '../src/admission.js';
import { type Accept, type DecisionInputs, decide } from '../src/decision.js';
import {
  type FrameworkView,
  RequestSite,
  type TransportName,
  type UpgradeRequest,
  type WireFacts,
} from '../src/facts.js';
import { Rejection } from '../src/rejection.js';
import { compileRoute, type RouteOptions } from '../src/route.js';

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

export function inputs(overrides: Partial<DecisionInputs> = {}): DecisionInputs {
  const controller = new AbortController();
  return {
    site: site(),
    cookies: { secrets: [], parser: undefined },
    signal: () => controller.signal,
    pending: () => true,
    closing: () => false,
    report: vi.fn(),
    ...overrides,
  };
}

export async function accepted(options: RouteOptions, given: Partial<DecisionInputs> = {}, admission = ADMISSION) {
  const result = await decide(route(options), admission, inputs(given));
  if (!(result !== undefined && !(result instanceof Rejection))) throw new Error(`not accepted: ${String(result)}`);
  return result as Accept;
}
