// Cookies as a browser sends them back: the Cookie header, Set-Cookie parsing and the jar.
import { parse } from 'cookie';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CookieJar, cookieHeader, cookiesSetBy, parseSetCookie } from '../src/cookies.js';

describe('cookieHeader', () => {
  it.each([
    [{ sid: 'ada' }, 'sid=ada'],
    [{ a: '1', b: '2' }, 'a=1; b=2'],
    [{ sid: 's:ada.Zm9v+/=' }, 'sid=s:ada.Zm9v+/='], // cookie-octets (a signed value): as they are
    [{ sid: 'ada%20l' }, 'sid=ada%20l'], // already encoded, as copied from a Set-Cookie header
    [{ name: 'ada lovelace' }, 'name=ada%20lovelace'],
    [{ json: '{"a":"b,c"}' }, 'json=%7B%22a%22%3A%22b%2Cc%22%7D'],
    [{ empty: '' }, 'empty='],
    [{}, undefined],
  ])('%j -> %s', (cookies, header) => {
    expect(cookieHeader(cookies)).toBe(header);
  });

  it('a name that is not a token is a TypeError', () => {
    expect(() => cookieHeader({ 'a b': '1' })).toThrow(TypeError);
    expect(() => cookieHeader({ 'a=b': '1' })).toThrow('invalid cookie name "a=b"');
  });

  it('what it sends, the `cookie` parser (Express, Fastify) reads back as the values given', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    const value = fc.string({ unit: 'binary' }).filter((text) => !text.includes('%'));
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 5 }), (cookies) => {
        const header = cookieHeader(cookies);
        expect(header === undefined ? {} : { ...parse(header) }).toEqual(cookies);
      }),
    );
  });
});

describe('parseSetCookie', () => {
  const past = 'Thu, 01 Jan 1970 00:00:00 GMT';
  const future = new Date(Date.now() + 3_600_000).toUTCString();
  it.each([
    ['sid=abc; Path=/; HttpOnly; SameSite=Lax', { name: 'sid', value: 'abc', expired: false }],
    ['sid=s%3Aada.sig; Path=/', { name: 'sid', value: 's%3Aada.sig', expired: false }],
    ['sid="quoted"', { name: 'sid', value: 'quoted', expired: false }],
    [`sid=; Path=/; Expires=${past}`, { name: 'sid', value: '', expired: true }],
    ['sid=x; Max-Age=0', { name: 'sid', value: 'x', expired: true }],
    ['sid=x; max-age=-1', { name: 'sid', value: 'x', expired: true }],
    [`sid=x; Max-Age=3600; Expires=${past}`, { name: 'sid', value: 'x', expired: false }], // Max-Age wins
    [`sid=x; Expires=${future}`, { name: 'sid', value: 'x', expired: false }],
    ['sid=a=b', { name: 'sid', value: 'a=b', expired: false }],
    ['no-equals', undefined],
    ['=value', undefined],
  ])('%s', (line, parsed) => {
    expect(parseSetCookie(line)).toEqual(parsed);
  });
});

describe('CookieJar', () => {
  it('stores what responses set, forgets what they expire, and gives name -> value', () => {
    const jar = new CookieJar();
    jar.store(['sid=abc; Path=/; HttpOnly', 'sid.sig=xyz; Path=/', 'theme=dark']);
    jar.store('theme=light');
    expect(jar.toJSON()).toEqual({ sid: 'abc', 'sid.sig': 'xyz', theme: 'light' });
    jar.store(['sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'sid.sig=; Max-Age=0']);
    jar.set('lang', 'fr');
    jar.delete('theme');
    expect(jar.toJSON()).toEqual({ lang: 'fr' });
    jar.store(undefined);
    jar.clear();
    expect(jar.toJSON()).toEqual({});
  });

  it('cookiesSetBy gives the cookies a response sets, without the deletions', () => {
    expect(cookiesSetBy(['a=1; Path=/', 'b=; Max-Age=0', 'c=3'])).toEqual({ a: '1', c: '3' });
    expect(cookiesSetBy(undefined)).toEqual({});
  });
});
