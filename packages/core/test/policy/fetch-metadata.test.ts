import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fetchMetadataAllows } from '../../src/policy/fetch-metadata.js';

describe('fetchMetadataAllows', () => {
  it('allows a request without the header (a non-browser client or an older browser)', () => {
    expect(fetchMetadataAllows([])).toBe(true);
  });

  it.each([
    ['same-origin', true],
    ['same-site', true],
    ['none', true],
    ['cross-site', false],
    [' cross-site\t', false], // OWS is not part of the value
    ['cross-site;x=1', false], // a Structured Field parameter does not change the token
    ['cross-site;', false],
    ['Cross-Site', true], // tokens are case-sensitive: not the token a browser sends
    ['CROSS-SITE', true],
    ['cross-site, same-origin', true], // not a browser's value: allowed like any unknown one
    ['cross-sitex', true],
    ['"cross-site"', true], // a string, not a token
    ['', true],
    ['some-future-value', true],
  ] as const)('a single %j -> %s', (value, expected) => {
    expect(fetchMetadataAllows([value])).toBe(expected);
  });

  it('refuses several header lines, whatever they say', () => {
    expect(fetchMetadataAllows(['same-origin', 'same-origin'])).toBe(false);
    expect(fetchMetadataAllows(['same-origin', 'cross-site'])).toBe(false);
  });

  it('refuses a single value exactly when its token is cross-site, and never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('cross-site', 'same-site', 'none')),
        (value) => {
          const token = value.split(';')[0]?.replace(/^[ \t]+|[ \t]+$/g, '');
          expect(fetchMetadataAllows([value])).toBe(token !== 'cross-site');
        },
      ),
    );
  });
});
