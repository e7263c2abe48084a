import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeProtocolToken } from '../../src/policy/protocol-token.js';
import { type ExtensionOffer, parseExtensions } from '../../src/protocol/extensions.js';
import { acceptableDeflateOffers, isValidDeflateOffer } from '../../src/protocol/permessage-deflate.js';
import { Rejection } from '../../src/protocol/rejection.js';
import { negotiateSubprotocol, parseSubprotocols } from '../../src/protocol/subprotocol.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });

describe('Sec-WebSocket-Protocol (RFC 6455 §4.1: 1#token, elements unique)', () => {
  it.each([
    [['chat.v2, chat.v1'], ['chat.v2', 'chat.v1']],
    [
      ['chat.v2', 'chat.v1'],
      ['chat.v2', 'chat.v1'],
    ],
    [['a,,b'], ['a', 'b']],
    [[], []],
  ])('%j -> %j', (lines, offered) => {
    expect(parseSubprotocols(lines)).toEqual(offered);
  });
  it.each([[['a, a']], [['a', 'a']], [['a b']], [['chat/1']], [['"quoted"']], [['é']]])(
    '%j -> BAD_SUBPROTOCOL',
    (lines) => {
      expect((parseSubprotocols(lines) as Rejection).code).toBe('BAD_SUBPROTOCOL');
    },
  );
  it('the server order wins and nothing unoffered is chosen', () => {
    expect(negotiateSubprotocol(['chat.v1', 'chat.v2'], ['chat.v2', 'chat.v1'])).toBe('chat.v2');
    expect(negotiateSubprotocol(['chat.v1'], ['chat.v2', 'chat.v1'])).toBe('chat.v1');
    expect(negotiateSubprotocol(['x'], ['chat.v2'])).toBeUndefined();
  });
  it('property: the choice is always offered and preferred', () => {
    fc.assert(
      fc.property(fc.uniqueArray(token), fc.uniqueArray(token), (offered, preference) => {
        const chosen = negotiateSubprotocol(offered, preference);
        if (chosen === undefined) expect(preference.some((p) => offered.includes(p))).toBe(false);
        else {
          expect(offered).toContain(chosen);
          expect(preference.find((p) => offered.includes(p))).toBe(chosen);
        }
      }),
    );
  });
  it('property: parses exactly lists of unique tokens', () => {
    fc.assert(
      fc.property(fc.uniqueArray(token, { minLength: 1 }), (offered) => {
        expect(parseSubprotocols([offered.join(', ')])).toEqual(offered);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 3 }), (lines) => {
        const result = parseSubprotocols(lines);
        if (!(result instanceof Rejection)) for (const p of result) expect(p).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
      }),
    );
  });
  it('a protocol token entry is taken out of the offer and never negotiable', () => {
    expect(takeProtocolToken(['chat.v1', 'bearer.abc'], 'bearer.')).toEqual({ offered: ['chat.v1'], token: 'abc' });
    expect(takeProtocolToken(['bearer.a', 'bearer.b', 'x'], 'bearer.')).toEqual({ offered: ['x'], token: 'a' });
    expect(takeProtocolToken(['bearer.a'], undefined)).toEqual({ offered: ['bearer.a'], token: undefined });
  });
});

describe('Sec-WebSocket-Extensions (RFC 6455 §9.1, RFC 7692)', () => {
  it('parses the browsers offer', () => {
    expect(parseExtensions(['permessage-deflate; client_max_window_bits'])).toEqual([
      { name: 'permessage-deflate', params: Object.assign(Object.create(null), { client_max_window_bits: [true] }) },
    ]);
  });
  it('parses several offers, quoted values and OWS', () => {
    const offers = parseExtensions([
      'permessage-deflate ; server_max_window_bits = 10 ; client_max_window_bits="12", x-foo',
      'permessage-deflate',
    ]) as { name: string; params: Record<string, unknown> }[];
    expect(offers.map((o) => o.name)).toEqual(['permessage-deflate', 'x-foo', 'permessage-deflate']);
    expect({ ...offers[0]?.params }).toEqual({ server_max_window_bits: ['10'], client_max_window_bits: ['12'] });
  });
  it('keeps repeated parameters so that the offer can be declined', () => {
    const [offer] = parseExtensions(['permessage-deflate; server_no_context_takeover; server_no_context_takeover']) as {
      params: Record<string, unknown>;
    }[];
    expect(offer?.params.server_no_context_takeover).toEqual([true, true]);
  });
  it.each([
    'permessage-deflate;',
    'permessage-deflate; =1',
    'permessage-deflate; a=',
    'permessage-deflate; a="1 2"',
    'permessage-deflate; a="unterminated',
    'permessage-deflate x',
    ';a',
    'a=1',
    'per message',
  ])('%j -> BAD_EXTENSIONS', (line) => {
    expect((parseExtensions([line]) as Rejection).code).toBe('BAD_EXTENSIONS');
  });
  it('empty list elements are allowed', () => {
    expect(parseExtensions([', permessage-deflate ,'])).toHaveLength(1);
  });
  it('property: never throws, and names and values are tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 3 }), (lines) => {
        const result = parseExtensions(lines);
        if (result instanceof Rejection) return;
        for (const offer of result) {
          expect(offer.name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          for (const values of Object.values(offer.params))
            for (const v of values) if (v !== true) expect(v).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
        }
      }),
    );
  });
  it('property: formats built from the grammar parse back', () => {
    const param = fc.tuple(token, fc.option(token, { nil: undefined }), fc.boolean());
    fc.assert(
      fc.property(
        fc.array(fc.tuple(token, fc.array(param, { maxLength: 3 })), { minLength: 1, maxLength: 3 }),
        (exts) => {
          const line = exts
            .map(([name, params]) =>
              [
                name,
                ...params.map(([k, v, quoted]) => (v === undefined ? k : quoted ? `${k}="${v}"` : `${k}=${v}`)),
              ].join('; '),
            )
            .join(', ');
          const parsed = parseExtensions([line]);
          expect(parsed).not.toBeInstanceOf(Rejection);
          expect((parsed as { name: string }[]).map((o) => o.name)).toEqual(exts.map(([name]) => name));
        },
      ),
    );
  });
});

describe('permessage-deflate offers a server may accept (RFC 7692 §7)', () => {
  const offer = (line: string) => {
    const parsed = parseExtensions([line]);
    if (parsed instanceof Rejection) throw new Error('unparseable');
    return parsed[0] as ExtensionOffer;
  };
  it.each([
    ['permessage-deflate', true],
    ['permessage-deflate; client_max_window_bits', true],
    ['permessage-deflate; client_max_window_bits=8', true],
    ['permessage-deflate; server_max_window_bits=15; server_no_context_takeover', true],
    ['permessage-deflate; client_no_context_takeover', true],
    ['permessage-deflate; server_max_window_bits', false], // a value is required
    ['permessage-deflate; server_max_window_bits=7', false],
    ['permessage-deflate; server_max_window_bits=16', false],
    ['permessage-deflate; server_max_window_bits=09', false],
    ['permessage-deflate; client_max_window_bits=+9', false],
    ['permessage-deflate; client_max_window_bits="9.0"', false],
    ['permessage-deflate; server_no_context_takeover=1', false],
    ['permessage-deflate; foo', false],
    ['permessage-deflate; client_max_window_bits; client_max_window_bits', false],
    ['x-webkit-deflate-frame', false],
  ])('%s -> %s', (line, valid) => {
    expect(isValidDeflateOffer(offer(line))).toBe(valid);
  });
  it('keeps the acceptable ones in the client order', () => {
    const offers = parseExtensions(['permessage-deflate; foo, permessage-deflate; client_max_window_bits=10, x']);
    if (offers instanceof Rejection) throw new Error('unparseable');
    expect(acceptableDeflateOffers(offers).map((o) => o.params)).toEqual([{ client_max_window_bits: ['10'] }]);
  });
});

describe('the protocol token entry', () => {
  it.each([
    [['chat', 'bearer.abc'], 'bearer.', ['chat'], 'abc'],
    [['Bearer.abc', 'chat'], 'bearer.', ['chat'], 'abc'],
    [['BEARER.abc', 'bearer.def'], 'bearer.', [], 'abc'],
    [['chat'], 'bearer.', ['chat'], undefined],
    [['bearer.abc'], undefined, ['bearer.abc'], undefined],
  ])('%j with prefix %s -> %j, token %s', (offered, prefix, rest, token) => {
    expect(takeProtocolToken(offered, prefix)).toEqual({ offered: rest, token });
  });
});
