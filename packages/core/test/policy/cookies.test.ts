import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  joinCookieHeaders,
  parseCookieHeader,
  RequestCookies,
  signCookie,
  unsignCookie,
} from '../../src/policy/cookies.js';

describe('parseCookieHeader', () => {
  it.each([
    ['a=1', { a: '1' }],
    ['a=1; b=2', { a: '1', b: '2' }],
    ['a=1;b=2', { a: '1', b: '2' }],
    ['a="quoted"', { a: '"quoted"' }], // RFC 6265 §4.1.1: the quotes belong to the value; cookie@1 keeps them
    ['a=%E2%9C%93', { a: '✓' }],
    ['a=%E0%A4%A', { a: '%E0%A4%A' }], // undecodable: kept raw
    ['a=1; a=2', { a: '1' }], // the first wins, as in cookie-parser
    ['', {}],
    ['garbage', {}],
    ['=novalue', { '': 'novalue' }], // a nameless cookie, as cookie@1 reads it
  ])('parses %j', (header, expected) => {
    expect({ ...parseCookieHeader(header) }).toEqual(expected);
  });

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (header) => {
        parseCookieHeader(header);
      }),
    );
  });

  it('does not let a cookie named __proto__ reach the prototype', () => {
    const cookies = parseCookieHeader('__proto__=x; constructor=y');
    expect(Object.getPrototypeOf({})).not.toHaveProperty('x');
    expect(cookies.constructor).toBe('y');
  });
});

describe('joinCookieHeaders', () => {
  it("joins lines with '; ' (RFC 9113 §8.2.3) and skips empty ones", () => {
    expect(joinCookieHeaders(['a=1', 'b=2'])).toBe('a=1; b=2');
    expect(joinCookieHeaders(['a=1', '', 'b=2'])).toBe('a=1; b=2');
    expect(joinCookieHeaders([])).toBe('');
    expect({ ...parseCookieHeader(joinCookieHeaders(['a=1', 'b=2; c=3'])) }).toEqual({ a: '1', b: '2', c: '3' });
  });
});

describe('signCookie / unsignCookie', () => {
  it("makes cookie-parser's format: 's:' + value + '.' + unpadded base64 HMAC-SHA256", () => {
    // The fixture is cookie-signature's own README example.
    expect(signCookie('hello', 'tobiiscool')).toBe('s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI');
  });

  it.each([
    ['s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', ['tobiiscool'], 'hello'],
    ['s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', ['new', 'tobiiscool'], 'hello'],
    ['s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QJ', ['tobiiscool'], false],
    ['s:hellp.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', ['tobiiscool'], false],
    ['s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI=', ['tobiiscool'], false],
    ['s:hello', ['tobiiscool'], false],
    ['s:', ['tobiiscool'], false],
    ['s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', [], false],
    ['hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', ['tobiiscool'], undefined],
    ['S:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI', ['tobiiscool'], undefined],
    ['plain', ['tobiiscool'], undefined],
    ['', ['tobiiscool'], undefined],
  ] as const)('unsignCookie(%j, %j) -> %j', (raw, secrets, expected) => {
    expect(unsignCookie(raw, secrets)).toBe(expected);
  });

  it('verifies with rotated secrets: the first signs, all verify', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), fc.string(), (value, oldSecret, newSecret) => {
        expect(unsignCookie(signCookie(value, oldSecret), [newSecret, oldSecret])).toBe(value);
      }),
    );
  });

  it('refuses a wrong secret', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), fc.string(), (value, secret, wrong) => {
        fc.pre(secret !== wrong);
        expect(unsignCookie(signCookie(value, secret), [wrong])).toBe(false);
      }),
    );
  });

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.string()), (raw, secrets) => {
        unsignCookie(raw, secrets);
        unsignCookie(`s:${raw}`, secrets);
      }),
    );
  });
});

describe('RequestCookies', () => {
  const secret = 'current';
  const sid = encodeURIComponent(signCookie('user-42', 'previous'));
  const header = `theme=dark; sid=${sid}; forged=${encodeURIComponent('s:admin.AAAA')}; plain=s%3Anot-signed`;

  it('reads all cookies, with nothing inherited', () => {
    const cookies = new RequestCookies(header, [secret, 'previous']);
    expect(cookies.all.theme).toBe('dark');
    expect(cookies.all.sid).toBe(signCookie('user-42', 'previous'));
    expect(cookies.all.missing).toBeUndefined();
    expect(cookies.all.constructor).toBeUndefined();
    expect(cookies.all.hasOwnProperty).toBeUndefined();
  });

  it('exposes only signed cookies that verify', () => {
    const cookies = new RequestCookies(header, [secret, 'previous']);
    expect({ ...cookies.signed }).toEqual({ sid: 'user-42' });
    expect({ ...new RequestCookies(header, [secret]).signed }).toEqual({});
    expect({ ...new RequestCookies(header, []).signed }).toEqual({});
  });

  it('parses lazily, once', () => {
    let calls = 0;
    const parser = (value: string) => {
      calls += 1;
      return parseCookieHeader(value);
    };
    const cookies = new RequestCookies('a=1', [], parser);
    expect(calls).toBe(0);
    void cookies.all;
    void cookies.signed;
    void cookies.signed;
    expect(calls).toBe(1);
    expect(cookies.all).toBe(cookies.all);
  });

  it('uses a custom parser', () => {
    const cookies = new RequestCookies('ignored', [], () => ({ a: 'from-parser' }));
    expect(cookies.all.a).toBe('from-parser');
  });

  it.each([
    [undefined, false],
    ['', false],
    ['   ', false],
    ['a=1', true],
    ['garbage', true],
  ] as const)('header %j -> any cookie: %s', (value, present) => {
    const cookies = new RequestCookies(value, [], () => ({ parsed: 'yes' }));
    expect(Object.keys(cookies.all).length > 0).toBe(present);
  });
});
