import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFieldValue, WsgateTypeError } from '../../src/http/fields.js';
import { Rejection, type RejectionHeaders, reject } from '../../src/protocol/rejection.js';
import { formatAcceptance, formatHeaderLines, formatRejection } from '../../src/transport/http1-head.js';

describe('rejection responses', () => {
  it('writes status line, Connection: close, type, length, extra headers, body', () => {
    const text = formatRejection(reject.methodNotAllowed).toString();
    expect(text).toBe(
      'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 43\r\nAllow: GET\r\nWsgate-Code: METHOD_NOT_ALLOWED\r\n\r\n' +
        '405 Method Not Allowed: METHOD_NOT_ALLOWED\n',
    );
  });
  it('sends objects as JSON with a byte-accurate length', () => {
    const text = formatRejection(reject.rejected(401, { error: 'login required é' })).toString();
    expect(text).toContain('Content-Type: application/json; charset=utf-8\r\n');
    expect(text).toContain(`Content-Length: ${Buffer.byteLength('{"error":"login required é"}')}\r\n`);
  });
  it('a caller Content-Type replaces the guessed one; Upgrade adds the upgrade connection option', () => {
    const text = formatRejection(
      reject.rejected(426, 'x', { 'Content-Type': 'text/x', Upgrade: 'websocket' }),
    ).toString();
    expect(text.match(/content-type/gi)).toHaveLength(1);
    expect(text).toContain('Connection: Upgrade, close\r\n');
  });
  it.each([
    [{ 'X-A': 'ok\r\nSet-Cookie: evil=1' }],
    [{ 'X-A': 'ok\nx' }],
    [{ 'X-A': 'nul\0' }],
    [{ 'X-A': 'del\x7f' }],
    [{ 'X-A': 'a\u010d\u010aSet-Cookie: evil=1' }],
    [{ 'Bad Name': 'v' }],
    [{ 'X-A\r\nEvil': 'v' }],
    [{ 'X-A': ['fine', 'bad\r'] }],
    [{ 'Transfer-Encoding': 'chunked' }],
    [{ 'content-length': '1' }],
    [{ Connection: 'keep-alive' }],
  ])('refuses to make a rejection with headers %j', (headers) => {
    expect(() => new Rejection('REJECTED', 400, 'x', headers)).toThrow(WsgateTypeError);
  });
  it.each([[0], [101], [199], [200], [204], [600], [999], [Number.NaN], [403.5], ['403 X\r\nSet-Cookie: a=1']])(
    'refuses status %j',
    (status) => {
      expect(() => new Rejection('REJECTED', status as number)).toThrow(TypeError);
    },
  );
  it('a 304 has neither content nor Content-Length', () => {
    const text = formatRejection(reject.rejected(304, 'ignored')).toString();
    expect(text).not.toMatch(/content-length/i);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });
});

describe('field values (RFC 9110 §5.5)', () => {
  it.each([
    ['', true],
    ['text/plain; charset=utf-8', true],
    ['tab\there', true],
    ['obs-text \u00e9\u00ff', true],
    ['cr\r', false],
    ['lf\n', false],
    ['nul\0', false],
    ['del\x7f', false],
    ['c\u0001', false],
    ['\u010d', false],
    ['\u{1f600}', false],
  ])('%j -> %s', (value, ok) => {
    expect(isFieldValue(value)).toBe(ok);
  });
});

/** Whatever reaches the public API: any code point, with the dangerous ones made likely. */
const text = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc
    .array(fc.constantFrom('\r', '\n', '\u010d', '\u010a', '\0', '\x7f', ':', ' ', 'a', 'Set-Cookie', '\u2028', 'é'))
    .map((parts) => parts.join('')),
);
const headers = fc.dictionary(text, fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.integer()), { maxKeys: 4 });
const body = fc.oneof(
  text,
  fc.uint8Array().map((bytes) => Buffer.from(bytes)),
  fc.dictionary(text, text),
);
const status = fc.oneof(fc.integer({ min: -1, max: 1000 }), fc.double(), text);

/** Splits a response's bytes into its head lines and what follows the blank line. */
function parse(bytes: Buffer): { lines: string[]; rest: Buffer } {
  const end = bytes.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  return { lines: bytes.subarray(0, end).toString('latin1').split('\r\n'), rest: bytes.subarray(end + 4) };
}

describe('property: no input makes an extra header line or a second message', () => {
  it('rejections: either a TypeError at construction, or exactly the lines asked for and one body', () => {
    fc.assert(
      fc.property(status, headers, body, (s, h, b) => {
        let rejection: Rejection;
        try {
          rejection = new Rejection('REJECTED', s as number, b, h as RejectionHeaders);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          return;
        }
        const { lines, rest } = parse(formatRejection(rejection));
        const given = Object.values(rejection.headers).reduce<number>(
          (n, value) => n + (Array.isArray(value) ? value.length : 1),
          0,
        );
        const typed = Object.keys(rejection.headers).some((name) => name.toLowerCase() === 'content-type');
        // status line, Connection, [Content-Type], [Content-Length], the caller's lines
        expect(lines).toHaveLength(2 + (typed ? 0 : 1) + (rejection.status === 304 ? 0 : 1) + given);
        expect(lines[0]).toMatch(/^HTTP\/1\.1 [3-5]\d\d [ -~]+$/);
        for (const line of lines) expect(line).not.toMatch(/[\r\n\0]/);
        const length = lines.find((line) => line.startsWith('Content-Length: '));
        expect(rest.length).toBe(length === undefined ? 0 : Number(length.slice(16)));
      }),
    );
  });

  it('101 heads: either a TypeError, or the handshake lines plus exactly the extra ones', () => {
    fc.assert(
      fc.property(headers, (h) => {
        let head: string;
        try {
          head = formatAcceptance(
            'HTTP/1.1 101 Switching Protocols',
            { Upgrade: 'websocket', Connection: 'Upgrade' },
            h,
          );
        } catch (error) {
          expect(error).toBeInstanceOf(WsgateTypeError);
          return;
        }
        const { lines, rest } = parse(Buffer.from(head, 'latin1'));
        expect(rest.length).toBe(0);
        const given = Object.values(h).reduce<number>((n, value) => n + (Array.isArray(value) ? value.length : 1), 0);
        expect(lines).toHaveLength(3 + given);
        const names = lines.slice(1).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
        expect(names.filter((name) => name === 'upgrade' || name === 'connection')).toHaveLength(2);
      }),
    );
  });

  it('header lines round-trip: what is written is what was given', () => {
    fc.assert(
      fc.property(headers, (h) => {
        let lines: string;
        try {
          lines = formatHeaderLines('rejection', h);
        } catch {
          return;
        }
        const bytes = Buffer.from(lines, 'latin1').toString('latin1');
        expect(bytes).toBe(lines);
      }),
    );
  });
});
