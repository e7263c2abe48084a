import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isToken, listHasToken, splitList, trimOws } from '../../src/http/token-list.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });

describe('RFC 9110 §5.6.1 lists', () => {
  it.each([
    [['a, b'], ['a', 'b']],
    [['a,,b'], ['a', 'b']],
    [[', a ,'], ['a']],
    [
      ['a', 'b, c'],
      ['a', 'b', 'c'],
    ],
    [['\ta\t,  b'], ['a', 'b']],
    [[''], []],
  ])('%j -> %j', (lines, elements) => {
    expect(splitList(lines)).toEqual(elements);
  });
  it('CR and LF are not whitespace', () => {
    expect(trimOws('\r\na\r\n')).toBe('\r\na\r\n');
  });
  it('property: a list built from tokens with OWS and empty elements splits back to the tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(token, ows, ows, fc.boolean()), { minLength: 1, maxLength: 8 }), (parts) => {
        const line = parts.map(([t, a, b, empty]) => `${a}${t}${b}${empty ? ',' : ''}`).join(',');
        expect(splitList([line])).toEqual(parts.map(([t]) => t));
      }),
    );
  });
  it('property: splitList never throws and never yields empty or OWS-padded elements', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (lines) => {
        for (const element of splitList(lines)) {
          expect(element).not.toBe('');
          expect(trimOws(element)).toBe(element);
        }
      }),
    );
  });
  it('listHasToken is case-insensitive and exact', () => {
    expect(listHasToken(['keep-alive, UpGrAdE'], 'upgrade')).toBe(true);
    expect(listHasToken(['upgrade2'], 'upgrade')).toBe(false);
  });
});

describe('RFC 9110 §5.6.2 tokens', () => {
  it('property: isToken is exactly 1*tchar', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(isToken(value)).toBe(value.length > 0 && [...value].every((c) => TCHARS.includes(c)));
      }),
    );
    fc.assert(
      fc.property(token, (value) => {
        expect(isToken(value)).toBe(true);
      }),
    );
  });
});

describe('listHasToken', () => {
  it('property: agrees with splitting the list', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
        fc.constantFrom('upgrade', 'websocket', 'a'),
        (lines, token) => {
          expect(listHasToken(lines, token)).toBe(splitList(lines).some((element) => element.toLowerCase() === token));
        },
      ),
    );
  });
});
