// RFC 8441 §4-5 as pure functions over the pseudo-headers and header lines of an extended CONNECT, and
// the HTTP/2 header blocks wsgate writes (values checked, connection-specific fields left out).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WsgateTypeError } from '../../src/http/fields.js';
import { Rejection, reject } from '../../src/protocol/rejection.js';
import {
  type ConnectRequest,
  checkAuthority,
  checkExtendedConnect,
  checkProtocol,
  checkPseudoHeaders,
  checkVersionOverH2,
  isExtendedConnect,
} from '../../src/protocol/rfc8441.js';
import { h2HeaderBlock, h2RejectionBlock } from '../../src/transport/http2-head.js';

const VALID: ConnectRequest = {
  method: 'CONNECT',
  protocol: 'websocket',
  scheme: 'https',
  path: '/chat?room=1',
  authority: 'chat.example:8443',
  headers: ['sec-websocket-version', '13', 'origin', 'https://chat.example:8443'],
  encrypted: true,
  endStream: false,
};
const codeOf = (result: unknown) => (result instanceof Rejection ? result.code : undefined);
const statusOf = (result: unknown) => (result instanceof Rejection ? result.status : undefined);

describe('RFC 8441 §4: which CONNECT is an extended one', () => {
  it.each([
    ['CONNECT', 'websocket', true],
    ['CONNECT', 'connect-udp', true],
    ['CONNECT', undefined, false], // a tunnel (RFC 9113 §8.5)
    ['GET', 'websocket', false],
    [undefined, 'websocket', false],
  ])('%s with :protocol %s -> %s', (method, protocol, expected) => {
    expect(isExtendedConnect({ method, protocol })).toBe(expected);
  });
});

describe('RFC 8441 §5 and RFC 9220 §3: :protocol', () => {
  it.each([
    ['websocket', undefined],
    ['WebSocket', 'UNSUPPORTED_PROTOCOL'], // "MUST have a value of websocket"
    ['connect-udp', 'UNSUPPORTED_PROTOCOL'],
    ['', 'UNSUPPORTED_PROTOCOL'],
  ])('%j -> %s', (protocol, code) => {
    expect(codeOf(checkProtocol({ ...VALID, protocol }))).toBe(code);
  });
  it('an unknown protocol is 501 Not Implemented', () => {
    expect(statusOf(checkProtocol({ ...VALID, protocol: 'x' }))).toBe(501);
  });
});

describe('RFC 8441 §4: :scheme and :path', () => {
  it.each([
    ['https', '/chat', true, undefined],
    ['https', '/', true, undefined],
    ['http', '/chat', false, undefined], // ws:// over h2c
    ['https', '/chat', false, undefined], // a TLS-terminating proxy keeps https
    ['http', '/chat', true, 'BAD_CONNECT'], // "MUST be https for wss"
    [undefined, '/chat', true, 'BAD_CONNECT'],
    ['https', undefined, true, 'BAD_CONNECT'],
    ['https', '', true, 'BAD_CONNECT'],
    ['https', '*', true, 'BAD_CONNECT'],
    ['https', 'chat', true, 'BAD_CONNECT'],
    ['ftp', '/chat', true, 'BAD_CONNECT'],
  ])(':scheme %j, :path %j, TLS %s -> %s', (scheme, path, encrypted, code) => {
    expect(codeOf(checkPseudoHeaders({ ...VALID, scheme, path, encrypted }))).toBe(code);
  });
});

describe('RFC 8441 §5: Sec-WebSocket-Version, answered with 400 on HTTP/2', () => {
  it.each([
    [['13'], undefined],
    [['8'], 'UNSUPPORTED_VERSION'],
    [['13, 8'], 'UNSUPPORTED_VERSION'],
    [['13', '13'], 'UNSUPPORTED_VERSION'],
    [[], 'UNSUPPORTED_VERSION'],
  ])('%j -> %s', (versions, code) => {
    const headers = versions.flatMap((version) => ['sec-websocket-version', version]);
    const result = checkVersionOverH2({ ...VALID, headers });
    expect(codeOf(result)).toBe(code);
    if (result !== undefined) {
      expect(result.status).toBe(400);
      expect(result.headers['Sec-WebSocket-Version']).toBe('13');
      expect(result.headers).not.toHaveProperty('Upgrade');
    }
  });
});

describe('RFC 8441 §5 with RFC 9113 §8.3.1: :authority for Host, and a Host that must agree', () => {
  it.each([
    ['chat.example:8443', [], 'chat.example:8443'],
    ['chat.example:8443', ['chat.example:8443'], 'chat.example:8443'],
    ['chat.example:8443', ['CHAT.example:8443'], 'chat.example:8443'],
    [undefined, ['chat.example'], 'chat.example'],
    ['chat.example:8443', ['evil.example'], 'BAD_HOST'],
    ['chat.example:8443', ['chat.example:8443', 'chat.example:8443'], 'BAD_HOST'],
    [undefined, [], 'BAD_HOST'],
    ['', [], 'BAD_HOST'],
  ])(':authority %j with Host lines %j -> %s', (authority, hosts, expected) => {
    const headers = hosts.flatMap((host) => ['host', host]);
    const result = checkAuthority({ ...VALID, authority, headers });
    expect(result instanceof Rejection ? result.code : result).toBe(expected);
  });

  it('property: a Host equal to :authority up to case always agrees; any other Host never does', () => {
    const authority = fc.stringMatching(/^[a-z0-9.-]{1,20}(:[0-9]{1,5})?$/);
    fc.assert(
      fc.property(authority, authority, fc.boolean(), (a, b, upper) => {
        const host = upper ? a.toUpperCase() : a;
        expect(checkAuthority({ ...VALID, authority: a, headers: ['host', host] })).toBe(a);
        const other = checkAuthority({ ...VALID, authority: a, headers: ['host', b] });
        expect(other === a).toBe(b.toLowerCase() === a.toLowerCase());
      }),
    );
  });
});

describe('checkExtendedConnect: the order of the checks', () => {
  it('passes a valid request, with its authority', () => {
    expect(checkExtendedConnect(VALID)).toEqual({ authority: 'chat.example:8443' });
  });
  it.each([
    ['an unknown protocol before anything else', { protocol: 'x', path: undefined }, 'UNSUPPORTED_PROTOCOL'],
    ['a stream ended with its headers', { endStream: true }, 'BAD_CONNECT'],
    ['content announced', { headers: ['sec-websocket-version', '13', 'content-length', '3'] }, 'BODY_NOT_ALLOWED'],
    ['an empty content is no content', { headers: ['sec-websocket-version', '13', 'content-length', '0'] }, undefined],
    ['the version before the authority', { headers: ['host', 'evil'] }, 'UNSUPPORTED_VERSION'],
    [
      'a key is ignored (RFC 8441 §5)',
      { headers: ['sec-websocket-version', '13', 'sec-websocket-key', '?'] },
      undefined,
    ],
  ])('%s', (_name, change, code) => {
    expect(codeOf(checkExtendedConnect({ ...VALID, ...change }))).toBe(code);
  });
});

describe('HTTP/2 header blocks', () => {
  it('lower-case names, :status first, own fields, then the caller’s; connection-specific fields left out', () => {
    const block = h2HeaderBlock(
      'handshake',
      200,
      { 'Sec-WebSocket-Protocol': 'chat', 'sec-websocket-extensions': undefined },
      { 'Set-Cookie': ['a=1', 'b=2'], 'X-Id': 7 as never, 'Proxy-Connection': 'x', TE: 'trailers' },
    );
    expect(block).toEqual({
      ':status': 200,
      'sec-websocket-protocol': 'chat',
      'set-cookie': ['a=1', 'b=2'],
      'x-id': '7',
    });
  });

  it('a rejection: its status, type and length, Wsgate-Code; Upgrade (on a 426 row) left out', () => {
    expect(h2RejectionBlock(reject.notAnUpgrade)).toEqual({
      ':status': 426,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(reject.notAnUpgrade.payload.bytes.length),
      'wsgate-code': 'NOT_AN_UPGRADE',
    });
    const typed = h2RejectionBlock(reject.rejected(304, 'x', { 'Content-Type': 'text/x' }));
    expect(typed).toEqual({ ':status': 304, 'content-type': 'text/x' });
  });

  it('refuses names and values RFC 9110 §5.5 forbids, and fields the handshake writes itself', () => {
    for (const extra of [{ 'x-a': 'a\r\nb' }, { 'x-a': 'nul\0' }, { 'x a': 'v' }, { 'Sec-WebSocket-Accept': 'x' }]) {
      expect(() => h2HeaderBlock('handshake', 200, {}, extra)).toThrow(WsgateTypeError);
    }
    expect(() => h2HeaderBlock('handshake', 200, { 'sec-websocket-protocol': 'a\nb' }, {})).toThrow(WsgateTypeError);
  });

  it('property: a value with a control character other than HTAB, or above U+00FF, is never put in a block', () => {
    const bad = fc
      .tuple(fc.string(), fc.constantFrom('\r', '\n', '\0', '\x7f', '\x01', '\u0100', '\u010d'), fc.string())
      .map(([a, c, b]) => a + c + b);
    fc.assert(
      fc.property(bad, (value) => {
        expect(() => h2HeaderBlock('rejection', 400, {}, { 'x-value': value })).toThrow(WsgateTypeError);
      }),
    );
  });
});
