// admitRequest with async Origin policies and subprotocol selectors, and properties over any header values:
// admission never throws with the built-in policies, the chosen protocol is always one offered, and an async
// policy or selector decides as its sync twin.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Admission, admitRequest } from '../../src/decision/admission.js';
import type { RouteOptions } from '../../src/decision/route.js';
import { allowOrigins, type OriginPolicy } from '../../src/policy/origin.js';
import { Rejection } from '../../src/protocol/rejection.js';
import type { TransportName } from '../../src/protocol/request.js';
import { facts, outcome, request, route, SAME } from './admission-fixtures.js';

const chat = { subprotocols: ['chat.v2', 'chat.v1'] } as const;

describe('admitRequest: async policies and selectors', () => {
  const later = <T>(value: T) => new Promise<T>((resolve) => setImmediate(() => resolve(value)));

  it.each([
    ['an async policy that allows', { origin: () => later(true) }, ['Origin', SAME], { origin: SAME }],
    ['an async policy that refuses', { origin: () => later(false) }, ['Origin', SAME], 'ORIGIN_FORBIDDEN'],
    [
      'an async policy resolving a truthy non-true',
      { origin: () => later(1 as unknown as boolean) },
      ['Origin', SAME],
      'ORIGIN_FORBIDDEN',
    ],
    ['an async selector', { subprotocols: () => later('b') }, ['Sec-WebSocket-Protocol', 'a, b'], { protocol: 'b' }],
    [
      'an async selector, none, required',
      { subprotocols: () => later(undefined), requireSubprotocol: true },
      ['Sec-WebSocket-Protocol', 'a'],
      'NO_SUBPROTOCOL',
    ],
    [
      'both async',
      { origin: () => later(true), subprotocols: () => later('a') },
      ['Origin', SAME, 'Sec-WebSocket-Protocol', 'a'],
      { origin: SAME, protocol: 'a' },
    ],
    [
      'an async policy, then cross-site',
      { origin: () => later(true), fetchMetadata: true },
      ['Origin', SAME, 'Sec-Fetch-Site', 'cross-site'],
      'CROSS_SITE_FORBIDDEN',
    ],
  ] as const)('%s', async (_name, options, headers, expected) => {
    const pending = admitRequest(route(options as RouteOptions), facts(headers));
    expect(pending).toBeInstanceOf(Promise);
    const result = outcome(await pending);
    if (typeof expected === 'string') expect(result).toBe(expected);
    else expect(result).toMatchObject(expected);
  });

  it('stays synchronous while the policy and the selector are', () => {
    const result = admitRequest(route({ ...chat, origin: allowOrigins([SAME]) }), facts(['Origin', SAME]));
    expect(result).not.toBeInstanceOf(Promise);
  });

  it('rejects when an async selector chooses a protocol the client did not offer', async () => {
    const result = admitRequest(route({ subprotocols: () => later('z') }), facts(['Sec-WebSocket-Protocol', 'a']));
    await expect(result).rejects.toThrow(/did not offer/);
  });
});

// --- properties ------------------------------------------------------------------------------------------

/** Header lines a client could send, the ones admission reads most often among them. */
const headerName = fc.constantFrom(
  'Origin',
  'origin',
  'Cookie',
  'Sec-Fetch-Site',
  'Sec-WebSocket-Protocol',
  'Sec-WebSocket-Extensions',
  'X-Other',
);
const headerValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(SAME, 'null', 'cross-site', 'chat.v1, chat.v2', 'bearer.t, chat.v1', 'permessage-deflate; a=1'),
  fc
    .array(fc.constantFrom('chat.v1', 'chat.v2', 'x', 'bearer.t', 'a b', ''), { maxLength: 5 })
    .map((names) => names.join(', ')),
);
const headerLines = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }).map((pairs) => pairs.flat());
const routeOptions = fc.record(
  {
    origin: fc.constantFrom(undefined, [SAME], ['null', 'https://*.example:*']),
    missingOrigin: fc.constantFrom('allow-without-cookies', 'allow', 'reject'),
    fetchMetadata: fc.boolean(),
    subprotocols: fc.constantFrom(undefined, ['chat.v2', 'chat.v1'], ['x']),
    requireSubprotocol: fc.boolean(),
    protocolToken: fc.constantFrom(undefined, 'bearer.'),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<RouteOptions>;
const transport = fc.constantFrom<TransportName>('http/1.1', 'h2', 'hixie-76');

describe('admitRequest: properties', () => {
  it('never throws with the built-in policies and a list selector, whatever the headers', () => {
    fc.assert(
      fc.property(routeOptions, headerLines, transport, (options, headers, kind) => {
        const result = admitRequest(route(options), facts(headers, kind));
        expect(result instanceof Rejection || typeof result === 'object').toBe(true);
        expect(result).not.toBeInstanceOf(Promise);
      }),
    );
  });

  it('the chosen protocol is always one the client offered, never the token entry; offered names are the header’s', () => {
    fc.assert(
      fc.property(routeOptions, headerLines, (options, headers) => {
        const result = admitRequest(route(options), facts(headers)) as Admission | Rejection;
        if (result instanceof Rejection) return;
        if (result.protocol !== undefined) expect(result.offered).toContain(result.protocol);
        if (options.protocolToken !== undefined) {
          for (const name of result.offered) expect(name.toLowerCase().startsWith('bearer.')).toBe(false);
        }
        if (options.requireSubprotocol) expect(result.protocol).toBeDefined();
      }),
    );
  });

  it('an async policy and selector decide as their sync twins', async () => {
    await fc.assert(
      fc.asyncProperty(routeOptions, headerLines, async (options, headers) => {
        const sync = route(options);
        const policy = sync.originPolicy;
        const selector = sync.subprotocols;
        const asyncRoute = {
          ...sync,
          originPolicy: (async (o, c) => policy(o, c)) as OriginPolicy,
          subprotocols:
            selector === undefined
              ? undefined
              : async (offered: readonly string[]) =>
                  typeof selector === 'function'
                    ? selector(offered, request)
                    : selector.find((p) => offered.includes(p)),
        };
        const expected = outcome(admitRequest(sync, facts(headers)) as Admission | Rejection);
        expect(outcome(await admitRequest(asyncRoute, facts(headers)))).toEqual(expected);
      }),
      { numRuns: Math.min(200, fc.readConfigureGlobal().numRuns ?? 200) },
    );
  });
});
