// What the admission tests share: a compiled route, facts over header arrays (no socket), outcomes as values.
import type { Admission, AdmissionFacts } from '../../src/decision/admission.js';
import { admitRequest } from '../../src/decision/admission.js';
import { compileRoute, type RouteOptions } from '../../src/decision/route.js';
import { Rejection, type RejectionCode } from '../../src/protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../../src/protocol/request.js';

export const request = { url: '/t', headers: {} } as unknown as UpgradeRequest;
export const SITE = { secure: false, host: 'app.example:8080', request };
export const SAME = 'http://app.example:8080';

export function route(options: RouteOptions = {}) {
  return compileRoute('/t', {}, options, () => {});
}

export function facts(headers: readonly string[], transport: TransportName = 'http/1.1', site = SITE): AdmissionFacts {
  return { transport, headers, site, request };
}

/** The outcome as a comparable value: a rejection's code, or the admission. */
export function outcome(result: Admission | Rejection): RejectionCode | Admission {
  return result instanceof Rejection ? result.code : result;
}

export function admitSync(options: RouteOptions, headers: readonly string[], transport?: TransportName) {
  const result = admitRequest(route(options), facts(headers, transport));
  if (result instanceof Promise) throw new Error('expected a synchronous admission');
  return outcome(result);
}
