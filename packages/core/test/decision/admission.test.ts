// admitRequest (src/admission.ts) over header arrays, without sockets: Origin (count, absence, policy), fetch
// metadata, offered subprotocols and the protocol token, extensions, requireSubprotocol, what a policy and a
// selector get. Async policies and selectors, and properties over any header values: admission.async.test.ts.
import { describe, expect, it, vi } from 'vitest';
import type { Admission } from '../../src/decision/admission.js';
import { admitRequest } from '../../src/decision/admission.js';
import type { RouteOptions } from '../../src/decision/route.js';
import type { OriginPolicy } from '../../src/policy/origin.js';
import type { RejectionCode } from '../../src/protocol/rejection.js';
import { admitSync, facts, outcome, request, route, SAME } from './admission-fixtures.js';

type Row = readonly [
  name: string,
  options: RouteOptions,
  headers: readonly string[],
  expected: RejectionCode | Partial<Admission>,
];

const origin: readonly Row[] = [
  ['no Origin, no cookies (default allow-without-cookies)', {}, [], { origin: undefined }],
  ['no Origin, cookies (default)', {}, ['Cookie', 'sid=1'], 'ORIGIN_FORBIDDEN'],
  ['no Origin, an empty Cookie line (default)', {}, ['cookie', ''], 'ORIGIN_FORBIDDEN'],
  ['no Origin, cookies, missingOrigin allow', { missingOrigin: 'allow' }, ['Cookie', 'sid=1'], { origin: undefined }],
  ['no Origin, no cookies, missingOrigin reject', { missingOrigin: 'reject' }, [], 'ORIGIN_FORBIDDEN'],
  ['a same-origin Origin, missingOrigin reject', { missingOrigin: 'reject' }, ['Origin', SAME], { origin: SAME }],
  ['two Origin lines, both same-origin', {}, ['Origin', SAME, 'origin', SAME], 'BAD_ORIGIN'],
  ['two Origin lines, anyOrigin policy', { origin: () => true }, ['Origin', SAME, 'Origin', SAME], 'BAD_ORIGIN'],
  ['a same-origin Origin', {}, ['Origin', SAME], { origin: SAME }],
  ['the default port spelt out', {}, ['Origin', 'http://app.example:8080'], { origin: SAME }],
  ['another port', {}, ['Origin', 'http://app.example:8081'], 'ORIGIN_FORBIDDEN'],
  ['https for an http site', {}, ['Origin', 'https://app.example:8080'], 'ORIGIN_FORBIDDEN'],
  ['another host', {}, ['Origin', 'http://evil.example:8080'], 'ORIGIN_FORBIDDEN'],
  ['Origin: null', {}, ['Origin', 'null'], 'ORIGIN_FORBIDDEN'],
  ['Origin: null, listed', { origin: ['null'] }, ['Origin', 'null'], { origin: 'null' }],
  [
    'an Origin on the list',
    { origin: ['https://b.example'] },
    ['Origin', 'https://b.example'],
    { origin: 'https://b.example' },
  ],
  ['an Origin not on the list', { origin: ['https://b.example'] }, ['Origin', SAME], 'ORIGIN_FORBIDDEN'],
  [
    'a policy returning a truthy non-true',
    { origin: (() => 1) as unknown as OriginPolicy },
    ['Origin', SAME],
    'ORIGIN_FORBIDDEN',
  ],
];

const fetchMetadata: readonly Row[] = [
  [
    'cross-site, same-origin Origin (default)',
    {},
    ['Origin', SAME, 'Sec-Fetch-Site', 'cross-site'],
    'CROSS_SITE_FORBIDDEN',
  ],
  ['cross-site without Origin (default)', {}, ['Sec-Fetch-Site', 'cross-site'], 'CROSS_SITE_FORBIDDEN'],
  ['same-origin (default)', {}, ['Origin', SAME, 'Sec-Fetch-Site', 'same-origin'], { origin: SAME }],
  [
    'two lines (default)',
    {},
    ['Sec-Fetch-Site', 'same-origin', 'Sec-Fetch-Site', 'same-origin'],
    'CROSS_SITE_FORBIDDEN',
  ],
  [
    'cross-site, an origin list: off',
    { origin: ['https://b.example'] },
    ['Origin', 'https://b.example', 'Sec-Fetch-Site', 'cross-site'],
    {},
  ],
  ['cross-site, fetchMetadata false', { fetchMetadata: false }, ['Origin', SAME, 'Sec-Fetch-Site', 'cross-site'], {}],
  [
    'cross-site, an origin list, fetchMetadata true',
    { origin: ['https://b.example'], fetchMetadata: true },
    ['Origin', 'https://b.example', 'Sec-Fetch-Site', 'cross-site'],
    'CROSS_SITE_FORBIDDEN',
  ],
  [
    'cross-site and a forbidden Origin: Origin first',
    {},
    ['Origin', 'http://evil.example', 'Sec-Fetch-Site', 'cross-site'],
    'ORIGIN_FORBIDDEN',
  ],
];

const chat = { subprotocols: ['chat.v2', 'chat.v1'] } as const;
const protocols: readonly Row[] = [
  ['nothing offered', chat, [], { offered: [], protocol: undefined }],
  [
    'the server’s preference wins',
    chat,
    ['Sec-WebSocket-Protocol', 'chat.v1, chat.v2'],
    { offered: ['chat.v1', 'chat.v2'], protocol: 'chat.v2' },
  ],
  ['one of ours among others', chat, ['Sec-WebSocket-Protocol', 'x, chat.v1'], { protocol: 'chat.v1' }],
  [
    'several lines are one list',
    chat,
    ['Sec-WebSocket-Protocol', 'a', 'Sec-WebSocket-Protocol', 'b, chat.v1'],
    { offered: ['a', 'b', 'chat.v1'], protocol: 'chat.v1' },
  ],
  [
    'empty list elements',
    chat,
    ['Sec-WebSocket-Protocol', ' , chat.v1 ,'],
    { offered: ['chat.v1'], protocol: 'chat.v1' },
  ],
  ['names are case-sensitive', chat, ['Sec-WebSocket-Protocol', 'Chat.V2'], { protocol: undefined }],
  ['none of ours', chat, ['Sec-WebSocket-Protocol', 'chat.v3'], { offered: ['chat.v3'], protocol: undefined }],
  [
    'none of ours, requireSubprotocol',
    { ...chat, requireSubprotocol: true },
    ['Sec-WebSocket-Protocol', 'chat.v3'],
    'NO_SUBPROTOCOL',
  ],
  ['nothing offered, requireSubprotocol', { ...chat, requireSubprotocol: true }, [], 'NO_SUBPROTOCOL'],
  [
    'no selector, requireSubprotocol',
    { requireSubprotocol: true },
    ['Sec-WebSocket-Protocol', 'chat.v1'],
    'NO_SUBPROTOCOL',
  ],
  [
    'offered to a route without subprotocols',
    {},
    ['Sec-WebSocket-Protocol', 'chat.v1'],
    { offered: ['chat.v1'], protocol: undefined },
  ],
  ['a repeated name', chat, ['Sec-WebSocket-Protocol', 'chat.v1, chat.v1'], 'BAD_SUBPROTOCOL'],
  [
    'repeated across lines',
    chat,
    ['Sec-WebSocket-Protocol', 'chat.v1', 'Sec-WebSocket-Protocol', 'chat.v1'],
    'BAD_SUBPROTOCOL',
  ],
  ['a name that is no token', chat, ['Sec-WebSocket-Protocol', 'chat/v1'], 'BAD_SUBPROTOCOL'],
  [
    '129 names',
    chat,
    ['Sec-WebSocket-Protocol', Array.from({ length: 129 }, (_, i) => `p${i}`).join(',')],
    'BAD_SUBPROTOCOL',
  ],
  [
    'a bad list before a bad extension',
    chat,
    ['Sec-WebSocket-Extensions', ';', 'Sec-WebSocket-Protocol', 'a/b'],
    'BAD_SUBPROTOCOL',
  ],
];

const bearer = { subprotocols: ['chat.v1'], protocolToken: 'bearer.' } as const;
const token: readonly Row[] = [
  [
    'the token entry taken out',
    bearer,
    ['Sec-WebSocket-Protocol', 'chat.v1, bearer.abc'],
    { offered: ['chat.v1'], token: 'abc', protocol: 'chat.v1' },
  ],
  [
    'the prefix in any case',
    bearer,
    ['Sec-WebSocket-Protocol', 'Bearer.XYZ, chat.v1'],
    { offered: ['chat.v1'], token: 'XYZ' },
  ],
  [
    'the first of two tokens, both taken out',
    bearer,
    ['Sec-WebSocket-Protocol', 'bearer.a, bearer.b'],
    { offered: [], token: 'a', protocol: undefined },
  ],
  [
    'only a token, requireSubprotocol',
    { ...bearer, requireSubprotocol: true },
    ['Sec-WebSocket-Protocol', 'bearer.a'],
    'NO_SUBPROTOCOL',
  ],
  [
    'no prefix configured: an ordinary name',
    { subprotocols: ['chat.v1'] },
    ['Sec-WebSocket-Protocol', 'bearer.a'],
    { offered: ['bearer.a'], token: undefined },
  ],
];

const extensions: readonly Row[] = [
  ['none', {}, [], { offers: [] }],
  [
    'permessage-deflate with a parameter',
    {},
    ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
    {
      offers: [
        { name: 'permessage-deflate', params: Object.assign(Object.create(null), { client_max_window_bits: [true] }) },
      ],
    },
  ],
  [
    'two lines',
    {},
    ['Sec-WebSocket-Extensions', 'a', 'Sec-WebSocket-Extensions', 'b; x="1"'],
    { offers: [expect.objectContaining({ name: 'a' }), expect.objectContaining({ name: 'b' })] },
  ],
  ['outside the grammar', {}, ['Sec-WebSocket-Extensions', 'permessage-deflate; ;'], 'BAD_EXTENSIONS'],
  ['a quoted value that is no token', {}, ['Sec-WebSocket-Extensions', 'a; b="c d"'], 'BAD_EXTENSIONS'],
  [
    'a bad extension before a missing required protocol',
    { requireSubprotocol: true },
    ['Sec-WebSocket-Extensions', ';'],
    'BAD_EXTENSIONS',
  ],
];

describe.each([
  ['Origin', origin],
  ['fetch metadata', fetchMetadata],
  ['subprotocols', protocols],
  ['the protocol token', token],
  ['extensions', extensions],
] as const)('admitRequest: %s', (_group, rows) => {
  it.each(rows)('%s', (_name, options, headers, expected) => {
    const result = admitSync(options, headers);
    if (typeof expected === 'string') expect(result).toBe(expected);
    else expect(result).toMatchObject(expected);
  });
});

describe('admitRequest: draft-76', () => {
  it('reads one protocol name, not a list, and negotiates no extension', () => {
    const headers = ['Sec-WebSocket-Protocol', 'chat,v1', 'Sec-WebSocket-Extensions', 'permessage-deflate'];
    expect(admitSync({ subprotocols: ['chat,v1'] }, headers, 'hixie-76')).toMatchObject({
      offered: ['chat,v1'],
      protocol: 'chat,v1',
      offers: [],
    });
  });

  it('refuses two protocol lines or a name with spaces', () => {
    expect(admitSync({}, ['Sec-WebSocket-Protocol', 'a', 'Sec-WebSocket-Protocol', 'b'], 'hixie-76')).toBe(
      'BAD_SUBPROTOCOL',
    );
    expect(admitSync({}, ['Sec-WebSocket-Protocol', 'a b'], 'hixie-76')).toBe('BAD_SUBPROTOCOL');
  });
});

describe('admitRequest: what the policy and the selector get', () => {
  it('reads the site only when a policy asks: the policy gets it, with its scheme, host and request', () => {
    const reads: string[] = [];
    const site = {
      get secure() {
        reads.push('secure');
        return true;
      },
      get host() {
        reads.push('host');
        return 'app.example';
      },
      request,
    };
    const policy = vi.fn<OriginPolicy>((_origin, context) => context.secure && context.host === 'app.example');
    const r = route({ origin: policy });
    expect(outcome(admitRequest(r, { ...facts([]), site }) as Admission)).toMatchObject({ origin: undefined });
    expect(reads).toEqual([]);
    expect(policy).not.toHaveBeenCalled();
    admitRequest(r, { ...facts(['Origin', 'https://app.example']), site });
    expect(reads).toEqual(['secure', 'host']);
    expect(policy.mock.calls[0]?.[1]).toBe(site);
    // A list of origins never compares with the request's own: nothing is resolved for it.
    reads.length = 0;
    admitRequest(route({ origin: ['https://app.example'] }), { ...facts(['Origin', 'https://app.example']), site });
    expect(reads).toEqual([]);
  });

  it('gives the selector the offered names without the token entry, and the request', () => {
    const selector = vi.fn(() => 'b');
    const headers = ['Sec-WebSocket-Protocol', 'a, bearer.t, b'];
    expect(admitSync({ subprotocols: selector, protocolToken: 'bearer.' }, headers)).toMatchObject({ protocol: 'b' });
    expect(selector).toHaveBeenCalledWith(['a', 'b'], request);
  });

  it('never asks the selector when nothing is offered', () => {
    const selector = vi.fn(() => 'a');
    expect(admitSync({ subprotocols: selector }, [])).toMatchObject({ protocol: undefined });
    expect(selector).not.toHaveBeenCalled();
  });

  it('a selector that chooses nothing: no protocol, or NO_SUBPROTOCOL when one is required', () => {
    const headers = ['Sec-WebSocket-Protocol', 'a'];
    expect(admitSync({ subprotocols: () => undefined }, headers)).toMatchObject({ protocol: undefined });
    expect(admitSync({ subprotocols: () => undefined, requireSubprotocol: true }, headers)).toBe('NO_SUBPROTOCOL');
  });

  it('throws when the selector chooses a protocol the client did not offer (a programming error)', () => {
    const headers = ['Sec-WebSocket-Protocol', 'a'];
    expect(() => admitRequest(route({ subprotocols: () => 'z' }), facts(headers))).toThrow(/did not offer/);
    // Nor the token entry, which is never echoed (and never quoted in the error).
    const withToken = ['Sec-WebSocket-Protocol', 'a, bearer.secret'];
    const choose = route({ subprotocols: () => 'bearer.secret', protocolToken: 'bearer.' });
    expect(() => admitRequest(choose, facts(withToken))).toThrow(/did not offer/);
    expect(() => admitRequest(choose, facts(withToken))).not.toThrow(/secret/);
  });
});
