import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WsgateTypeError } from '../../src/http/fields.js';
import {
  HIXIE76_STATUS_LINE,
  hixie76Challenge,
  hixie76Keys,
  hixie76Location,
  hixie76OwnFields,
  isHixie76Request,
  parseHixie76Key,
  parseHixie76Protocol,
} from '../../src/protocol/hixie76.js';
import { Rejection } from '../../src/protocol/rejection.js';
import { formatAcceptance } from '../../src/transport/http1-head.js';
import { generateHixie76Key, referenceKeyNumber } from '../fixtures/hixie76-client.js';

const KEY1 = '4 @1  46546xW%0l 1 5';
const KEY2 = '12998 5 Y3 1  .P00';
const KEY3 = Buffer.from('^n:ds[4U', 'latin1');
const codeOf = (result: unknown) => (result instanceof Rejection ? result.code : undefined);

describe('draft-76 §1.3: the worked example, byte for byte', () => {
  it('reads the two numbers out of the keys (§5.2 steps 4-7)', () => {
    expect(parseHixie76Key(KEY1)).toBe(4_146_546_015 / 5);
    expect(parseHixie76Key(KEY1)).toBe(829_309_203);
    expect(parseHixie76Key(KEY2)).toBe(259_970_620);
  });

  it("answers 8jKS'y:G*Co,Wxa- (§5.2 steps 8-9)", () => {
    const keys = hixie76Keys(['Sec-WebSocket-Key1', KEY1, 'Sec-WebSocket-Key2', KEY2]);
    if (keys instanceof Rejection) throw new Error(keys.code);
    expect(hixie76Challenge(keys.number1, keys.number2, KEY3).toString('latin1')).toBe("8jKS'y:G*Co,Wxa-");
  });

  it("writes the example's response exactly (§5.2 steps 10-13)", () => {
    const own = hixie76OwnFields({
      origin: 'http://example.com',
      location: hixie76Location(false, 'example.com', '/demo'),
      protocol: 'sample',
    });
    const response = Buffer.concat([
      Buffer.from(formatAcceptance(HIXIE76_STATUS_LINE, own, {}), 'latin1'),
      hixie76Challenge(829_309_203, 259_970_620, KEY3),
    ]);
    expect(response.toString('latin1')).toBe(
      'HTTP/1.1 101 WebSocket Protocol Handshake\r\n' +
        'Upgrade: WebSocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Origin: http://example.com\r\n' +
        'Sec-WebSocket-Location: ws://example.com/demo\r\n' +
        'Sec-WebSocket-Protocol: sample\r\n' +
        '\r\n' +
        "8jKS'y:G*Co,Wxa-",
    );
  });
});

describe('parseHixie76Key (§5.2 steps 4-7)', () => {
  it.each([
    ['1 0 ', 5],
    ['10 ', 10],
    [' 10', 10],
    ['1  2', 6],
    ['a1b2c 3d', 123],
    ['0 0', 0],
    ['0 ', 0],
    ['  0  ', 0],
    ['00000000000000000000000000000042 ', 42], // leading zeros add nothing
    [`${'0'.repeat(10_000)}4294967295 `, 4_294_967_295],
    ['4294967295 ', 4_294_967_295], // the largest key-number the draft allows
    ['٣ 3', 3], // an Arabic-Indic three is an "other character", not a digit
    ['３ 3', 3], // so is a fullwidth three
    ['1\t2 ', 12], // a tab is not a space
  ])('%j -> %s', (key, expected) => {
    expect(parseHixie76Key(key)).toBe(expected);
  });

  it.each([
    ['no space: "a symptom of a cross-protocol attack" (step 5)', '12345'],
    ['no space, only a tab', '1\t2'],
    ['no digit at all', '  abc  '],
    ['empty', ''],
    ['not an integral multiple of the spaces (step 6)', '10   '],
    ['2^32 - 1 over two spaces, which is not an integer', '42949 67295 '],
    ['one over 2^32 - 1 (step 4: "a symptom of an attack")', '4294967296 '],
    ['over 2^32 - 1 even though the quotient would fit', '8589934590  '],
    ['a thousand digits', `${'9'.repeat(1000)} `],
    ['digits spread among noise that add up past 2^32 - 1', '4x2y9z4 9 6 7 2 9 6'],
  ])('refuses %s', (_why, key) => {
    const result = parseHixie76Key(key);
    expect(result).toBeInstanceOf(Rejection);
    expect((result as Rejection).status).toBe(400);
    expect(codeOf(result)).toBe('BAD_KEY');
  });

  it('a key built by the client algorithm of §4.1 (steps 16-22) always reads back as its number', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }),
        (draws) => {
          let i = 0;
          const { key, number } = generateHixie76Key(() => draws[i++ % draws.length] as number);
          expect(key.startsWith(' ') || key.endsWith(' ')).toBe(false);
          expect(parseHixie76Key(key)).toBe(number);
        },
      ),
    );
  });

  it('never throws, and agrees with a BigInt reading of the draft, on any string', () => {
    const keyish = fc.string({
      unit: fc.constantFrom('0', '1', '2', '5', '9', ' ', ' ', 'x', '\t', '٣'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.oneof(keyish, fc.string({ unit: 'binary', maxLength: 64 })), (key) => {
        const result = parseHixie76Key(key);
        const expected = referenceKeyNumber(key);
        if (expected === undefined) expect(codeOf(result)).toBe('BAD_KEY');
        else expect(result).toBe(expected);
      }),
    );
  });
});

describe('isHixie76Request and hixie76Keys', () => {
  const keys = ['Sec-WebSocket-Key1', KEY1, 'Sec-WebSocket-Key2', KEY2];
  it.each([
    [keys, true],
    [['sec-websocket-key1', KEY1, 'SEC-WEBSOCKET-KEY2', KEY2], true],
    [[...keys, 'Sec-WebSocket-Version', '13'], false],
    [[...keys, 'Sec-WebSocket-Version', ''], false],
    [['Sec-WebSocket-Key1', KEY1], false],
    [['Sec-WebSocket-Key2', KEY2], false],
    [['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version', '13'], false],
    [[], false],
  ])('%j -> %s', (headers, expected) => {
    expect(isHixie76Request(headers)).toBe(expected);
  });

  it.each([
    ['missing key2', ['Sec-WebSocket-Key1', KEY1]],
    ['key1 twice', [...keys, 'Sec-WebSocket-Key1', KEY1]],
    ['key2 twice', [...keys, 'Sec-WebSocket-Key2', KEY2]],
    ['a bad key1', ['Sec-WebSocket-Key1', '123', 'Sec-WebSocket-Key2', KEY2]],
    ['a bad key2', ['Sec-WebSocket-Key1', KEY1, 'Sec-WebSocket-Key2', '4294967296 ']],
  ])('%s is 400 BAD_KEY', (_why, headers) => {
    expect(codeOf(hixie76Keys(headers))).toBe('BAD_KEY');
  });
});

describe('hixie76Challenge', () => {
  it('refuses a key3 that is not 8 bytes and numbers outside 32 bits, as a caller bug', () => {
    expect(() => hixie76Challenge(1, 2, Buffer.alloc(7))).toThrow(RangeError);
    expect(() => hixie76Challenge(1, 2, Buffer.alloc(9))).toThrow(RangeError);
    expect(() => hixie76Challenge(2 ** 32, 2, KEY3)).toThrow(RangeError);
    expect(() => hixie76Challenge(-1, 2, KEY3)).toThrow(RangeError);
  });
  it('is 16 bytes for any input', () => {
    fc.assert(
      fc.property(
        fc.nat(0xffff_ffff),
        fc.nat(0xffff_ffff),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (a, b, k) => {
          expect(hixie76Challenge(a, b, Buffer.from(k))).toHaveLength(16);
        },
      ),
    );
  });
});

describe('hixie76Location (§3.2, §5.2)', () => {
  it.each([
    [false, 'example.com', '/demo', 'ws://example.com/demo'],
    [false, 'Example.COM:8080', '/a?b=C', 'ws://example.com:8080/a?b=C'],
    [false, 'example.com:80', '/', 'ws://example.com/'],
    [false, 'example.com:443', '/', 'ws://example.com:443/'],
    [true, 'example.com:443', '/chat', 'wss://example.com/chat'],
    [true, 'example.com:80', '/chat', 'wss://example.com:80/chat'],
    [false, '[::1]:80', '/', 'ws://[::1]/'],
    [false, '[::1]:9000', '/', 'ws://[::1]:9000/'],
    [false, '[::1]', '/', 'ws://[::1]/'],
  ])('secure=%s host=%j resource=%j -> %s', (secure, host, resource, expected) => {
    expect(hixie76Location(secure, host, resource)).toBe(expected);
  });
});

describe('the response fields (§5.2 step 11)', () => {
  it('sends the origin in ASCII lower case and leaves it out when the request had none', () => {
    expect(hixie76OwnFields({ origin: 'HTTP://Example.com', location: 'ws://x/' })).toMatchObject({
      'Sec-WebSocket-Origin': 'http://example.com',
    });
    expect(hixie76OwnFields({ location: 'ws://x/' })).not.toHaveProperty('Sec-WebSocket-Origin');
    expect(hixie76OwnFields({ location: 'ws://x/' })).not.toHaveProperty('Sec-WebSocket-Protocol');
  });
  it("never lets the application's headers replace or repeat the handshake's", () => {
    const own = hixie76OwnFields({ location: 'ws://x/' });
    expect(() => formatAcceptance(HIXIE76_STATUS_LINE, own, { upgrade: 'h2c' })).toThrow(WsgateTypeError);
    expect(() => formatAcceptance(HIXIE76_STATUS_LINE, own, { 'SEC-WEBSOCKET-LOCATION': 'ws://evil/' })).toThrow(
      WsgateTypeError,
    );
    expect(formatAcceptance(HIXIE76_STATUS_LINE, own, { 'Set-Cookie': ['a=1', 'b=2'] })).toContain(
      'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n',
    );
  });
  it('refuses to write CR, LF or NUL in any field', () => {
    const write = (fields: Parameters<typeof hixie76OwnFields>[0]) =>
      formatAcceptance(HIXIE76_STATUS_LINE, hixie76OwnFields(fields), {});
    expect(() => write({ location: 'ws://x/\r\nX: y' })).toThrow(WsgateTypeError);
    expect(() => write({ location: 'ws://x/', protocol: 'a\nb' })).toThrow(WsgateTypeError);
    expect(() => write({ location: 'ws://x/', origin: 'http://a\0' })).toThrow(WsgateTypeError);
  });
});

describe('the protocol field (§4.1: one name, not a list)', () => {
  it.each([
    [[], []],
    [['chat'], ['chat']],
    [['chat,superchat'], ['chat,superchat']],
    [['a b'], 'BAD_SUBPROTOCOL'],
    [['chat', 'other'], 'BAD_SUBPROTOCOL'],
  ])('%j -> %j', (lines, expected) => {
    const parsed = parseHixie76Protocol(lines);
    expect(parsed instanceof Rejection ? parsed.code : parsed).toEqual(expected);
  });
});
