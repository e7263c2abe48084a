import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowHosts, defaultHostPolicy, isSubdomainOf, loopbackHosts, parseHost } from '../../src/policy/host.js';

const request = (localAddress?: string) => ({ socket: { localAddress } }) as unknown as IncomingMessage;
const anyRequest = request('203.0.113.7');

describe('parseHost', () => {
  it.each([
    ['example.com', 'example.com', undefined],
    ['EXAMPLE.com', 'example.com', undefined],
    ['example.com:8080', 'example.com', 8080],
    ['example.com:80', 'example.com', 80],
    ['example.com:08080', 'example.com', 8080],
    ['example.com:65535', 'example.com', 65535],
    ['example.com.', 'example.com.', undefined], // trailing dot kept distinct
    ['localhost.:3000', 'localhost.', 3000],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', undefined],
    ['my_service:3000', 'my_service', 3000],
    ['a-b.c-d.e', 'a-b.c-d.e', undefined],
    ['127.0.0.1', '127.0.0.1', undefined],
    ['127.0.0.1:3000', '127.0.0.1', 3000],
    ['255.255.255.255', '255.255.255.255', undefined],
    ['[::1]', '[::1]', undefined],
    ['[::1]:8080', '[::1]', 8080],
    ['[0:0:0:0:0:0:0:1]:8080', '[::1]', 8080],
    ['[2001:DB8::A]', '[2001:db8::a]', undefined],
    ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', undefined],
  ])('accepts %j', (value, hostname, port) => {
    expect(parseHost(value)).toEqual({ hostname, port });
  });

  it.each([
    '',
    ' ',
    ' example.com',
    'example.com ',
    'exa mple.com',
    'example.com\r\nX: y',
    'user@example.com',
    'user:pass@example.com',
    'example.com/path',
    'example.com?q',
    'example.com#f',
    'example.com:',
    'example.com:0',
    'example.com:65536',
    'example.com:123456',
    'example.com:-1',
    'example.com:+80',
    'example.com:8o',
    'example.com:80:80',
    'example.com:*',
    '.example.com',
    'example..com',
    '.',
    'exa%6dple.com',
    'ex*mple.com',
    'bücher.example',
    'xn--bcher-kva.ex\u00e4mple',
    '256.0.0.1',
    '127.1',
    '127.0.0.1.',
    '0x7f.0.0.1',
    '010.0.0.1',
    '1.2.3.4.5',
    'example.123',
    '[::1',
    '::1',
    '[::1]]',
    '[::1]x',
    '[::1]:',
    '[::1]:0',
    '[fe80::1%25eth0]',
    '[fe80::1%eth0]',
    '[v1.abc]',
    '[]',
    '[::g]',
    '[1:2:3:4:5:6:7:8:9]',
    'http://example.com',
  ])('rejects %j', (value) => {
    expect(parseHost(value)).toBeUndefined();
  });

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (value) => {
        parseHost(value);
      }),
    );
  });

  it('accepts nothing with whitespace, "@", "/", CR or LF, and returns lower case', () => {
    // An alphabet dense in host syntax, so that many generated strings parse.
    const unit = fc.constantFrom(...'ab1-_.:[]9f0 \t\r\n@/?#%xX'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 16 }), (value) => {
        const parsed = parseHost(value);
        if (parsed === undefined) return;
        expect(value).not.toMatch(/[\s@/?#%\r\n]/);
        expect(parsed.hostname).toBe(parsed.hostname.toLowerCase());
        expect(parsed.port === undefined || (parsed.port >= 1 && parsed.port <= 65535)).toBe(true);
      }),
    );
  });

  it('accepts generated domains, IPv4 and IPv6', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.domain(),
          fc.ipV4(),
          fc.ipV6().map((a) => `[${a}]`),
        ),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (host, port) => {
          const parsed = parseHost(port === undefined ? host : `${host}:${port}`);
          expect(parsed).toBeDefined();
          expect(parsed?.port).toBe(port);
        },
      ),
    );
  });
});

describe('allowHosts', () => {
  const allow = (list: readonly string[], host: string) => allowHosts(list)(host, anyRequest);

  it.each([
    [['example.com'], 'example.com', true],
    [['example.com'], 'EXAMPLE.COM', true],
    [['EXAMPLE.com'], 'example.com', true],
    [['example.com'], 'example.com:80', true],
    [['example.com'], 'example.com:443', true],
    [['example.com'], 'example.com:8080', false], // no port in the entry means the default ports only
    [['example.com'], 'example.com.', false], // trailing dot is a distinct name
    [['example.com'], 'www.example.com', false],
    [['example.com:8080'], 'example.com:8080', true],
    [['example.com:8080'], 'example.com', false],
    [['example.com:8080'], 'example.com:8081', false],
    [['example.com:443'], 'example.com', true],
    [['example.com:*'], 'example.com:1', true],
    [['example.com:*'], 'example.com', true],
    [['*.example.com'], 'a.example.com', true],
    [['*.example.com'], 'a.b.example.com', true],
    [['*.example.com'], 'a.example.com:443', true],
    [['*.example.com'], 'a.example.com:3000', false],
    [['*.example.com:*'], 'a.example.com:3000', true],
    [['*.example.com:3000'], 'a.example.com:3000', true],
    [['*.example.com'], 'example.com', false],
    [['*.example.com'], 'evil-example.com', false],
    [['*.example.com'], 'evilexample.com', false],
    [['*.example.com'], 'example.com.evil.net', false],
    [['*.example.com'], 'a.example.com.evil.net', false],
    [['*.example.com'], 'a.example.com.', false],
    [['[::1]:3000'], '[::1]:3000', true],
    [['[::1]:3000'], '[0::1]:3000', true],
    [['[::1]:3000'], '[::1]:3001', false],
    [['[::1]:3000'], '[::1]', false],
    [['127.0.0.1:*'], '127.0.0.1:5173', true],
    [['127.0.0.1:*'], '127.0.0.2:5173', false],
    [['localhost:3000', '127.0.0.1:3000'], '127.0.0.1:3000', true],
    [['example.com'], 'user@example.com', false],
    [['example.com'], '', false],
    [[], 'example.com', false],
  ] as const)('%j allows %j: %s', (list, host, expected) => {
    expect(allow(list, host)).toBe(expected);
  });

  it.each([
    '',
    '*',
    '*.',
    '*:*',
    'example.com:',
    'example.com:0',
    'example.com:*:*',
    'example.com:80:*',
    'a.*.example.com',
    '**.example.com',
    '*.127.0.0.1',
    '*.[::1]',
    'https://example.com',
    'example.com/',
    'user@example.com',
  ])('throws a TypeError for the entry %j', (entry) => {
    expect(() => allowHosts([entry])).toThrow(TypeError);
  });

  it('throws a TypeError for a non-string entry or a non-array', () => {
    expect(() => allowHosts([42 as unknown as string])).toThrow(TypeError);
    expect(() => allowHosts('example.com' as unknown as string[])).toThrow(/array/);
  });

  it('never lets a wildcard accept a host outside its suffix', () => {
    // A tiny label alphabet, so that generated hosts often do (and often nearly) end with the suffix.
    const label = fc.oneof(fc.constantFrom('a', 'b', 'ex', 'ex-a', '1'), fc.stringMatching(/^[a-z0-9-]{1,8}$/));
    const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join('.')}.com`);
    const host = fc.oneof(
      domain,
      fc.tuple(label, domain).map(([l, d]) => `${l}${d}`), // glued: 'evilexample.com'
      fc.tuple(label, domain).map(([l, d]) => `${l}-${d}`),
      fc.tuple(domain, domain).map(([a, b]) => `${a}.${b}`), // 'example.com.evil.net'
      fc.tuple(label, domain).map(([l, d]) => `${l}.${d}`),
    );
    fc.assert(
      fc.property(domain, host, (suffix, candidate) => {
        const allowed = allowHosts([`*.${suffix}:*`])(candidate, anyRequest);
        const inside = candidate.endsWith(`.${suffix}`) && candidate !== suffix;
        expect(allowed).toBe(inside);
      }),
    );
  });
});

describe('isSubdomainOf', () => {
  it('matches only on a label boundary, and never the domain itself', () => {
    expect(isSubdomainOf('a.example.com', 'example.com')).toBe(true);
    expect(isSubdomainOf('example.com', 'example.com')).toBe(false);
    expect(isSubdomainOf('aexample.com', 'example.com')).toBe(false);
    expect(isSubdomainOf('.example.com', 'example.com')).toBe(false);
  });
});

describe('loopbackHosts', () => {
  it.each([
    [undefined, 'localhost', true],
    [undefined, 'LOCALHOST:5173', true],
    [undefined, '127.0.0.1:1', true],
    [undefined, '127.255.0.9', true],
    [undefined, '[::1]:9229', true],
    [undefined, '[0:0:0:0:0:0:0:1]', true],
    [undefined, 'localhost.', false],
    [undefined, 'app.localhost', false],
    [undefined, '128.0.0.1', false],
    [undefined, '127.1', false],
    [undefined, '[::2]', false],
    [undefined, 'evil.example', false],
    [undefined, '0.0.0.0', false],
    [3000, 'localhost:3000', true],
    [3000, '127.0.0.1:3000', true],
    [3000, '[::1]:3000', true],
    [3000, 'localhost:3001', false],
    [3000, 'localhost', false],
    [80, 'localhost', true],
  ] as const)('loopbackHosts(%j) allows %j: %s', (port, host, expected) => {
    expect(loopbackHosts(port)(host, anyRequest)).toBe(expected);
  });

  it.each([0, 65536, 3000.5, Number.NaN, -1])('throws a TypeError for port %j', (port) => {
    expect(() => loopbackHosts(port)).toThrow(TypeError);
  });
});

describe('defaultHostPolicy', () => {
  const policy = defaultHostPolicy();

  it.each(['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.1'])(
    'on a loopback connection (%s) accepts only loopback names',
    (localAddress) => {
      expect(policy('localhost:3000', request(localAddress))).toBe(true);
      expect(policy('127.0.0.1:3000', request(localAddress))).toBe(true);
      expect(policy('[::1]:3000', request(localAddress))).toBe(true);
      expect(policy('evil.example:3000', request(localAddress))).toBe(false); // DNS rebinding
      expect(policy('192.168.1.10:3000', request(localAddress))).toBe(false);
    },
  );

  it.each(['203.0.113.7', '10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', undefined])(
    'elsewhere (%s) accepts any well-formed Host',
    (localAddress) => {
      expect(policy('example.com', request(localAddress))).toBe(true);
      expect(policy('localhost:3000', request(localAddress))).toBe(true);
      expect(policy('bad host', request(localAddress))).toBe(false);
      expect(policy('user@example.com', request(localAddress))).toBe(false);
    },
  );

  it('does not throw on a request without a socket', () => {
    expect(policy('example.com', {} as IncomingMessage)).toBe(true);
  });
});
