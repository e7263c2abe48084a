import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allOf,
  allowOrigins,
  anyOf,
  anyOrigin,
  type OriginContext,
  type OriginPolicy,
  parseOrigin,
  sameOrigin,
} from '../../src/policy/origin.js';

const context = (host: string, secure = true): OriginContext => ({
  secure,
  host,
  request: { socket: {} } as unknown as IncomingMessage,
});
const ctx = context('app.example.com');

describe('parseOrigin', () => {
  it.each([
    ['https://a.com', 'https', 'a.com', 443],
    ['https://a.com:443', 'https', 'a.com', 443],
    ['https://a.com:8443', 'https', 'a.com', 8443],
    ['http://a.com', 'http', 'a.com', 80],
    ['http://a.com:80', 'http', 'a.com', 80],
    ['ws://a.com', 'ws', 'a.com', 80],
    ['wss://a.com', 'wss', 'a.com', 443],
    ['HTTPS://A.Example.COM', 'https', 'a.example.com', 443],
    ['https://a.com.', 'https', 'a.com.', 443], // trailing dot kept: a distinct origin in browsers
    ['https://xn--bcher-kva.example', 'https', 'xn--bcher-kva.example', 443],
    ['http://127.0.0.1:3000', 'http', '127.0.0.1', 3000],
    ['http://[::1]', 'http', '[::1]', 80],
    ['http://[::1]:8080', 'http', '[::1]', 8080],
    ['http://[0:0:0:0:0:0:0:1]:8080', 'http', '[::1]', 8080],
    ['chrome-extension://abcdefghijklmnopabcdefghijklmnop', 'chrome-extension', 'abcdefghijklmnopabcdefghijklmnop', 0],
    ['app+x.y-z://host:7', 'app+x.y-z', 'host', 7],
  ])('parses %j', (value, scheme, host, port) => {
    expect(parseOrigin(value)).toEqual({ scheme, host, port });
  });

  it.each([
    'null',
    'NULL',
    '',
    ' ',
    ' https://a.com',
    'https://a.com ',
    'https://a.com/',
    'https://a.com/path',
    'https://a.com?q=1',
    'https://a.com#frag',
    'https://user@a.com',
    'https://user:pass@a.com',
    'https://a.com:',
    'https://a.com:0',
    'https://a.com:65536',
    'https://a.com:99999',
    'https://a.com:8o',
    'https://a.com:-1',
    'https://',
    'https:a.com',
    'https:/a.com',
    '//a.com',
    'a.com',
    '1http://a.com',
    'ht tp://a.com',
    'h*ttp://a.com',
    '://a.com',
    'https://bücher.example',
    'https://a..com',
    'https://[::1',
    'https://[fe80::1%25eth0]',
    'https://127.1',
    'https://a.com\r\nX-Injected: 1',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,x',
  ])('rejects %j', (value) => {
    expect(parseOrigin(value)).toBeUndefined();
  });

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.webUrl()), (value) => {
        parseOrigin(value);
      }),
    );
  });

  it('round-trips the origins fast-check generates as URLs', () => {
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['http', 'https'] }), (url) => {
        const expected = new URL(url);
        // Our grammar is narrower than RFC 3986 reg-name (see host.ts); skip the names it excludes.
        fc.pre(/^[a-z0-9_.\-[\]:]+$/.test(expected.host) && !expected.host.endsWith('.'));
        const parsed = parseOrigin(expected.origin);
        expect(parsed?.scheme).toBe(expected.protocol.slice(0, -1));
        expect(parsed?.host).toBe(expected.hostname);
        expect(parsed?.port).toBe(
          expected.port === '' ? (expected.protocol === 'https:' ? 443 : 80) : Number(expected.port),
        );
      }),
    );
  });
});

describe('sameOrigin', () => {
  const policy = sameOrigin();

  it.each([
    ['https://app.example.com', 'app.example.com', true, true],
    ['https://app.example.com:443', 'app.example.com', true, true],
    ['https://app.example.com', 'app.example.com:443', true, true],
    ['https://APP.example.com', 'app.EXAMPLE.com', true, true],
    ['wss://app.example.com', 'app.example.com', true, true], // wss ≡ https
    ['http://app.example.com', 'app.example.com', true, false], // scheme differs
    ['https://app.example.com', 'app.example.com', false, false],
    ['http://app.example.com', 'app.example.com', false, true],
    ['ws://app.example.com', 'app.example.com', false, true], // ws ≡ http
    ['http://app.example.com:80', 'app.example.com', false, true],
    ['http://localhost:3000', 'localhost:3000', false, true],
    ['http://localhost:3000', 'localhost:3001', false, false],
    ['http://localhost:3000', 'localhost', false, false],
    ['http://localhost', 'localhost:80', false, true],
    ['https://app.example.com:8443', 'app.example.com:8443', true, true],
    ['https://app.example.com:8443', 'app.example.com', true, false],
    ['https://app.example.com.', 'app.example.com', true, false], // trailing dot: distinct origin
    ['https://evil.example.com', 'app.example.com', true, false],
    ['https://example.com', 'app.example.com', true, false],
    ['http://[::1]:8080', '[::1]:8080', false, true],
    ['http://[::1]', '[::1]', false, true],
    ['http://[0:0::1]:8080', '[::1]:8080', false, true],
    ['http://[::1]:8080', '[::2]:8080', false, false],
    ['http://127.0.0.1:3000', 'localhost:3000', false, false],
    ['null', 'app.example.com', true, false],
    ['https://app.example.com/', 'app.example.com', true, false],
    ['https://app.example.com', 'bad host', true, false],
    ['https://app.example.com', '', true, false],
    ['chrome-extension://app.example.com', 'app.example.com', true, false],
  ] as const)('Origin %j vs Host %j (secure: %s) -> %s', (origin, host, secure, expected) => {
    expect(policy(origin, context(host, secure))).toBe(expected);
  });
});

describe('allowOrigins', () => {
  const allow = (list: readonly (string | RegExp)[], origin: string) => allowOrigins(list)(origin, ctx);

  it.each([
    [['https://app.example.com'], 'https://app.example.com', true],
    [['https://app.example.com'], 'https://app.example.com:443', true],
    [['https://app.example.com:443'], 'https://app.example.com', true],
    [['https://APP.example.com'], 'https://app.example.com', true],
    [['https://app.example.com'], 'http://app.example.com', false],
    [['https://app.example.com'], 'https://app.example.com:8443', false],
    [['https://app.example.com'], 'https://app.example.com.', false],
    [['https://app.example.com'], 'https://www.app.example.com', false],
    [['wss://app.example.com'], 'https://app.example.com', true], // wss ≡ https
    [['http://localhost:3000'], 'http://localhost:3000', true],
    [['http://localhost:3000'], 'http://localhost:3001', false],
    [['http://localhost:3000'], 'http://localhost', false],
    [['http://localhost:*'], 'http://localhost:5173', true],
    [['http://localhost:*'], 'http://localhost', true],
    [['http://localhost:*'], 'https://localhost:5173', false],
    [['https://*.example.com'], 'https://a.example.com', true],
    [['https://*.example.com'], 'https://a.b.example.com', true],
    [['https://*.example.com'], 'https://A.Example.com:443', true],
    [['https://*.example.com'], 'https://example.com', false],
    [['https://*.example.com'], 'https://evil-example.com', false],
    [['https://*.example.com'], 'https://evilexample.com', false],
    [['https://*.example.com'], 'https://example.com.evil.net', false],
    [['https://*.example.com'], 'https://a.example.com.evil.net', false],
    [['https://*.example.com'], 'http://a.example.com', false],
    [['https://*.example.com'], 'https://a.example.com:8443', false],
    [['https://*.example.com'], 'https://user@a.example.com', false],
    [['https://*.example.com'], 'https://a.example.com/', false],
    [['https://*.example.com:8443'], 'https://a.example.com:8443', true],
    [['https://*.example.com:*'], 'https://a.example.com:8443', true],
    [['https://*.example.com:*'], 'https://a.example.com', true],
    [['https://*.example.com:*'], 'https://example.com:8443', false],
    [['http://[::1]:3000'], 'http://[::1]:3000', true],
    [['http://127.0.0.1:3000'], 'http://127.0.0.1:3000', true],
    [['chrome-extension://abcdefgh'], 'chrome-extension://abcdefgh', true],
    [['chrome-extension://abcdefgh'], 'chrome-extension://abcdefgh:1', false],
    [['https://app.example.com'], 'null', false],
    [['null'], 'null', true],
    [['null'], 'https://null', false],
    [[/^https:\/\/pr-\d+\.preview\.example\.com$/], 'https://pr-42.preview.example.com', true],
    [[/^https:\/\/pr-\d+\.preview\.example\.com$/], 'https://pr-42.preview.example.com.evil.net', false],
    [[/^chrome-extension:\/\//], 'chrome-extension://x/y', true], // RegExps see the raw string
    [[], 'https://app.example.com', false],
  ] as const)('%j allows %j: %s', (list, origin, expected) => {
    expect(allow(list, origin)).toBe(expected);
  });

  it('keeps no state in a global RegExp', () => {
    const policy = allowOrigins([/^https:\/\/a\.com$/g]);
    expect([1, 2, 3].map(() => policy('https://a.com', ctx))).toEqual([true, true, true]);
  });

  it.each([
    '',
    '*',
    'https://*',
    'https://*.',
    'https://**.example.com',
    'https://a.*.example.com',
    'https://*example.com',
    '*.example.com',
    'example.com',
    'https://app.example.com/',
    'https://app.example.com/path',
    'https://user@app.example.com',
    'https://app.example.com:0',
    'https://app.example.com:443:*',
    'https://app.example.com:',
    'https://*.127.0.0.1',
    'https://*.[::1]',
    'Null',
    ' https://app.example.com',
  ])('throws a TypeError for the entry %j', (entry) => {
    expect(() => allowOrigins([entry])).toThrow(TypeError);
  });

  it('explains a trailing slash', () => {
    expect(() => allowOrigins(['https://app.example.com/'])).toThrow(/trailing "\/"/);
  });

  it('throws a TypeError for a non-string entry or a non-array', () => {
    expect(() => allowOrigins([42 as unknown as string])).toThrow(TypeError);
    expect(() => allowOrigins('https://a.com' as unknown as string[])).toThrow(/array/);
  });

  it('never lets a wildcard accept a host outside its suffix', () => {
    const label = fc.oneof(fc.constantFrom('a', 'b', 'ex', 'ex-a', '1'), fc.stringMatching(/^[a-z0-9-]{1,8}$/));
    const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.com`);
    const host = fc.oneof(
      domain,
      fc.tuple(label, domain).map(([l, d]) => `${l}${d}`),
      fc.tuple(domain, domain).map(([a, b]) => `${a}.${b}`),
      fc.tuple(label, domain).map(([l, d]) => `${l}.${d}`),
    );
    fc.assert(
      fc.property(domain, host, fc.constantFrom('', ':443', ':8443'), (suffix, candidate, port) => {
        const allowed = allowOrigins([`https://*.${suffix}`])(`https://${candidate}${port}`, ctx);
        const inside = candidate.endsWith(`.${suffix}`) && candidate !== suffix && port !== ':8443';
        expect(allowed).toBe(inside);
      }),
    );
  });
});

describe('anyOrigin', () => {
  it('allows everything, even null', () => {
    expect(anyOrigin()('null', ctx)).toBe(true);
    expect(anyOrigin()('https://evil.example', ctx)).toBe(true);
  });
});

describe('anyOf / allOf', () => {
  const yes: OriginPolicy = () => true;
  const no: OriginPolicy = () => false;
  const asyncYes: OriginPolicy = async () => true;
  const asyncNo: OriginPolicy = async () => false;
  const boom: OriginPolicy = () => {
    throw new Error('must not be called');
  };

  it('is synchronous while every policy it runs is', () => {
    expect(anyOf(no, yes)('x', ctx)).toBe(true);
    expect(anyOf(no, no)('x', ctx)).toBe(false);
    expect(allOf(yes, yes)('x', ctx)).toBe(true);
    expect(allOf(yes, no)('x', ctx)).toBe(false);
  });

  it('stops at the first decisive answer, without running the rest', async () => {
    expect(anyOf(yes, boom)('x', ctx)).toBe(true);
    expect(allOf(no, boom)('x', ctx)).toBe(false);
    await expect(anyOf(no, asyncYes, boom)('x', ctx)).resolves.toBe(true);
  });

  it('returns a promise once a policy does', async () => {
    const result = anyOf(no, asyncNo, yes)('x', ctx);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(true);
    await expect(anyOf(asyncNo, no)('x', ctx)).resolves.toBe(false);
    await expect(allOf(yes, asyncYes, yes)('x', ctx)).resolves.toBe(true);
    await expect(allOf(asyncYes, asyncNo, boom)('x', ctx)).resolves.toBe(false);
  });

  it('refuses with no policies in anyOf, allows in allOf', () => {
    expect(anyOf()('x', ctx)).toBe(false);
    expect(allOf()('x', ctx)).toBe(true);
  });

  it('counts only a real true as allowing', async () => {
    const truthy = (() => 'yes') as unknown as OriginPolicy;
    const asyncTruthy = (async () => 1) as unknown as OriginPolicy;
    expect(anyOf(truthy)('x', ctx)).toBe(false);
    expect(allOf(truthy)('x', ctx)).toBe(false);
    await expect(anyOf(asyncTruthy)('x', ctx)).resolves.toBe(false);
  });

  it('propagates a rejection from an async policy', async () => {
    const failing: OriginPolicy = async () => {
      throw new Error('lookup failed');
    };
    await expect(anyOf(no, failing)('x', ctx)).rejects.toThrow('lookup failed');
  });

  it('composes the real policies', () => {
    const policy = anyOf(sameOrigin(), allowOrigins(['https://*.partner.example']));
    expect(policy('https://app.example.com', ctx)).toBe(true);
    expect(policy('https://x.partner.example', ctx)).toBe(true);
    expect(policy('https://evil.example', ctx)).toBe(false);
    const both = allOf(allowOrigins(['https://*.example.com']), (origin) => !origin.includes('beta'));
    expect(both('https://app.example.com', ctx)).toBe(true);
    expect(both('https://beta.example.com', ctx)).toBe(false);
  });
});
