import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHeaderLines, formatRejection, UnsafeHeaderError } from '../src/http/response.js';
import { Rejection, reject } from '../src/rejection.js';

describe('rejection responses (DESIGN.md "Response format")', () => {
  it('writes status line, Connection: close, type, length, extra headers, body', () => {
    const text = formatRejection(reject.methodNotAllowed).toString();
    expect(text).toBe(
      'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 23\r\nAllow: GET\r\n\r\n405 Method Not Allowed\n',
    );
  });
  it('sends objects as JSON with a byte-accurate length', () => {
    const text = formatRejection(reject.rejected(401, { error: 'login required é' })).toString();
    expect(text).toContain('Content-Type: application/json; charset=utf-8\r\n');
    expect(text).toContain(`Content-Length: ${Buffer.byteLength('{"error":"login required é"}')}\r\n`);
  });
  it.each([
    [{ 'X-A': 'ok\r\nSet-Cookie: evil=1' }],
    [{ 'X-A': 'ok\nx' }],
    [{ 'X-A': 'nul\0' }],
    [{ 'Bad Name': 'v' }],
    [{ 'X-A\r\nEvil': 'v' }],
    [{ 'X-A': ['fine', 'bad\r'] }],
  ])('refuses to write unsafe header %j', (headers) => {
    expect(() => formatRejection(new Rejection('REJECTED', 400, 'x', headers))).toThrow(UnsafeHeaderError);
  });
  it('property: whatever it writes has no CR or LF inside a header line', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (headers) => {
        let lines: string;
        try {
          lines = formatHeaderLines(headers);
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafeHeaderError);
          return;
        }
        const count = Object.keys(headers).length;
        expect(lines.split('\r\n').length - 1).toBe(count);
        expect(lines.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
      }),
    );
  });
});
