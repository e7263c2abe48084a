// What of a handshake reaches the demo page: the decision, and an attempt number only for the page that made it.
// Table-driven over the parsing rules; a property over arbitrary requests full of secrets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attemptOf, gateEntry, publicEntry, viewerKeyOf } from '../gate-entry.js';

const key = '0123456789abcdef0123456789abcdef';
const other = 'fedcba9876543210fedcba9876543210';

describe('viewerKeyOf', () => {
  it.each([
    [`/gate-log?viewer=${key}`, key],
    [`/gate-log?x=1&viewer=${key}#frag`, key],
    ['/gate-log', undefined],
    ['/gate-log?viewer=', undefined],
    [`/gate-log?viewer=${key.toUpperCase()}`, undefined], // the page makes lower-case hex
    [`/gate-log?viewer=${key}0`, undefined],
    [`/gate-log?viewer=${key.slice(1)}`, undefined],
    ['/gate-log?viewer=%zz', undefined],
    [undefined, undefined],
  ])('%s -> %s', (url, expected) => {
    expect(viewerKeyOf(url)).toBe(expected);
  });
});

describe('attemptOf', () => {
  it.each([
    [`/chat?attempt=${key}.1`, { viewer: key, attempt: 1 }],
    [`/chat?token=abc&attempt=${key}.999999`, { viewer: key, attempt: 999999 }],
    [`/chat?attempt=${key}.0`, undefined],
    [`/chat?attempt=${key}.1000000`, undefined],
    [`/chat?attempt=${key}.01`, undefined],
    [`/chat?attempt=${key}`, undefined],
    [`/chat?attempt=${key}.1x`, undefined],
    [`/chat/${key}.1`, undefined], // only the query parameter counts
    ['/chat', undefined],
    [undefined, undefined],
  ])('%s -> %j', (url, expected) => {
    expect(attemptOf(url)).toEqual(expected);
  });
});

/** A HandshakeEvent as the gate makes it, with a request that carries whatever the client sent. */
const event = (url: string, headers: Record<string, string> = {}, overrides: Record<string, unknown> = {}) => ({
  outcome: 'reject',
  code: 'ORIGIN_FORBIDDEN',
  status: 403,
  route: '/chat',
  transport: 'http/1.1',
  durationMs: 1.234,
  request: { url, headers, rawHeaders: Object.entries(headers).flat(), method: 'GET' },
  ...overrides,
});

describe('gateEntry and publicEntry', () => {
  it('keep the decision, rounded to 0.1 ms, and the attempt only for its own viewer', () => {
    const entry = gateEntry(event(`/chat?attempt=${key}.7`), 3, 1_700_000_000_000);
    const decision = {
      seq: 3,
      at: 1_700_000_000_000,
      outcome: 'reject',
      code: 'ORIGIN_FORBIDDEN',
      status: 403,
      route: '/chat',
      transport: 'http/1.1',
      ms: 1.2,
    };
    expect(publicEntry(entry, key)).toEqual({ ...decision, mine: true, attempt: 7 });
    expect(publicEntry(entry, other)).toEqual(decision);
    expect(publicEntry(entry, undefined)).toEqual(decision);
  });

  it.each([
    ['an accept', { outcome: 'accept', code: undefined, status: 101 }, { outcome: 'accept', code: null, status: 101 }],
    ['before routing', { code: 'HOST_FORBIDDEN', route: undefined }, { code: 'HOST_FORBIDDEN', route: null }],
    ['an abort', { outcome: 'abort', code: 'CLIENT_GONE', status: undefined }, { outcome: 'abort', status: null }],
    ['an unknown outcome', { outcome: 'other' }, { outcome: 'abort' }],
    ['a code that is not a token', { code: 'X Y' }, { code: null }],
    ['a route that is not a path', { route: 'chat <b>' }, { route: null }],
    ['an unknown transport', { transport: 'gopher' }, { transport: 'http/1.1' }],
    ['no duration', { durationMs: Number.NaN }, { ms: null }],
  ])('%s', (_name, overrides, expected) => {
    expect(publicEntry(gateEntry(event('/chat', {}, overrides), 1, 0), undefined)).toMatchObject(expected);
  });

  it("never carry a header, a cookie, the query, a protocol token, the path or another viewer's key", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9_-]{12,40}$/);
    fc.assert(
      fc.property(
        secret,
        fc.constantFrom(key, other, undefined),
        fc.integer({ min: 1, max: 999999 }),
        (s, viewer, n) => {
          const url = `/chat/${s}p?token=${s}q&attempt=${key}.${n}`;
          const headers = {
            cookie: `sid=${s}c`,
            authorization: `Bearer ${s}a`,
            'sec-websocket-protocol': `chat.v2, bearer.${s}b`,
            origin: `http://${s}.example`,
            'user-agent': s,
          };
          const sent = JSON.stringify(publicEntry(gateEntry(event(url, headers), 1, 0), viewer));
          expect(sent).not.toContain(s);
          expect(sent).not.toContain(key); // not even to its owner
          expect(sent.includes('"attempt"')).toBe(viewer === key);
        },
      ),
    );
  });
});

describe('a connection close', () => {
  it('keeps its cause and close code, and nothing else of the request', () => {
    const request = { url: `/chat?token=secret&attempt=${key}.2`, headers: { cookie: 'sid=secret' } };
    const close = { outcome: 'close', cause: 'revoked', closeCode: 4001, route: '/chat', transport: 'h2' };
    const entry = gateEntry({ ...close, durationMs: 1234.56, request }, 7, 0);
    expect(entry).toMatchObject({ outcome: 'close', cause: 'revoked', closeCode: 4001, ms: 1234.6, attempt: 2 });
    expect(JSON.stringify(entry)).not.toContain('secret');
    expect(gateEntry({ ...close, cause: '<b>x</b>', closeCode: 'x', request }, 8, 0)).toMatchObject({
      cause: 'client',
      closeCode: null,
    });
  });
});
