import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/protocol/rejection.js';
import {
  acceptKey,
  checkConnection,
  checkHostPresent,
  checkHttpVersion,
  checkKey,
  checkMethod,
  checkNoBody,
  checkOpeningHandshake,
  checkUpgrade,
  checkVersion,
  type HandshakeRequest,
} from '../../src/protocol/rfc6455.js';

function request(headers: string[], method = 'GET', major = 1, minor = 1): HandshakeRequest {
  return { method, httpVersionMajor: major, httpVersionMinor: minor, headers };
}
const VALID = [
  'Host',
  'server.example.com',
  'Upgrade',
  'websocket',
  'Connection',
  'Upgrade',
  'Sec-WebSocket-Key',
  'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version',
  '13',
];
const codeOf = (result: unknown) => (result instanceof Rejection ? result.code : undefined);

describe('RFC 6455 §4.2.2: Sec-WebSocket-Accept', () => {
  it('matches the worked example of §1.3', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('RFC 6455 §4.2.1 (1): "An HTTP/1.1 or higher GET request"', () => {
  it.each(['POST', 'HEAD', 'PUT', 'get', 'OPTIONS', 'CONNECT'])('%s is 405 with Allow: GET', (method) => {
    const result = checkMethod(request(VALID, method));
    expect(result?.code).toBe('METHOD_NOT_ALLOWED');
    expect(result?.status).toBe(405);
    expect(result?.headers).toMatchObject({ Allow: 'GET', 'Wsgate-Code': 'METHOD_NOT_ALLOWED' });
  });
  it.each([
    [1, 1, undefined],
    [1, 2, undefined],
    [2, 0, 'HTTP_VERSION'], // RFC 9112 §2.3: not an HTTP/1 request line
    [3, 1, 'HTTP_VERSION'],
    [1, 0, 'HTTP_VERSION'],
    [0, 9, 'HTTP_VERSION'],
  ])('HTTP/%i.%i -> %s', (major, minor, code) => {
    expect(checkHttpVersion(request(VALID, 'GET', major, minor))?.code).toBe(code);
  });
});

describe('no request content (RFC 9112 §6.3)', () => {
  it.each([
    [[], undefined],
    [['Content-Length', '0'], undefined],
    [['Content-Length', '5'], 'BODY_NOT_ALLOWED'],
    [['content-length', '0', 'Content-Length', '1'], 'BODY_NOT_ALLOWED'],
    [['Transfer-Encoding', 'chunked'], 'BODY_NOT_ALLOWED'],
    [['transfer-encoding', 'identity'], 'BODY_NOT_ALLOWED'],
  ])('%j -> %s', (headers, code) => {
    expect(checkNoBody(request(headers as string[]))?.code).toBe(code);
  });
});

describe('§4.2.1 (3) Upgrade and (4) Connection, as RFC 9110 token lists', () => {
  it.each([
    ['websocket', undefined],
    ['WebSocket', undefined],
    ['WEBSOCKET', undefined],
    ['h2c, websocket', undefined],
    [' , websocket ,', undefined],
    ['websocketx', 'NOT_AN_UPGRADE'],
    ['web socket', 'NOT_AN_UPGRADE'],
    ['h2c', 'NOT_AN_UPGRADE'],
    ['', 'NOT_AN_UPGRADE'],
  ])('Upgrade: %j -> %s', (value, code) => {
    expect(checkUpgrade(request(['Upgrade', value]))?.code).toBe(code);
  });
  it('finds the token on any of several Upgrade lines', () => {
    expect(checkUpgrade(request(['Upgrade', 'h2c', 'Upgrade', 'websocket']))).toBeUndefined();
  });
  it('426 carries Upgrade: websocket', () => {
    expect(checkUpgrade(request([]))?.headers).toMatchObject({ Upgrade: 'websocket' });
  });
  it.each([
    ['Upgrade', undefined],
    ['upgrade', undefined],
    ['keep-alive, Upgrade', undefined],
    ['keep-alive,,  UPGRADE  ', undefined],
    ['keep-alive', 'NOT_AN_UPGRADE'],
    ['upgraded', 'NOT_AN_UPGRADE'],
    ['close', 'NOT_AN_UPGRADE'],
  ])('Connection: %j -> %s', (value, code) => {
    expect(checkConnection(request(['Connection', value]))?.code).toBe(code);
  });
  it('a missing Connection header is not an upgrade (ws never checks it)', () => {
    expect(checkConnection(request(['Upgrade', 'websocket']))?.code).toBe('NOT_AN_UPGRADE');
  });
});

describe('§4.2.1 (5) Sec-WebSocket-Key: base64 of exactly 16 bytes, once', () => {
  it.each([
    ['dGhlIHNhbXBsZSBub25jZQ==', true],
    ['AAAAAAAAAAAAAAAAAAAAAA==', true],
    ['/////////////////////w==', true],
    ['dGhlIHNhbXBsZSBub25jZQ=', false], // missing padding
    ['dGhlIHNhbXBsZSBub25jZQ', false],
    ['dGhlIHNhbXBsZSBub25jZR==', true], // padding bits set: RFC 4648 §3.5 lets a decoder accept it
    ['/////////////////////8==', true],
    ['dGhlIHNhbXBsZSBub25jZQ==dGhl', false],
    ['dGhlIHNhbXBsZSBub25jZQ-=', false],
    ['dGhlIHNhbXBsZSBub25j', false], // 15 bytes
    ['AAAAAAAAAAAAAAAAAAAAAAAA', false], // 18 bytes
    ['', false],
  ])('%j -> valid %s', (key, valid) => {
    const result = checkKey(request(['Sec-WebSocket-Key', key]));
    if (valid) expect(result).toBe(key);
    else expect(codeOf(result)).toBe('BAD_KEY');
  });
  it('missing or repeated is BAD_KEY, even when the copies agree', () => {
    expect(codeOf(checkKey(request([])))).toBe('BAD_KEY');
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    expect(codeOf(checkKey(request(['Sec-WebSocket-Key', key, 'sec-websocket-key', key])))).toBe('BAD_KEY');
  });
  it('property: accepts exactly the base64 encodings of 16 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const key = Buffer.from(bytes).toString('base64');
        expect(checkKey(request(['Sec-WebSocket-Key', key]))).toBe(key);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (key) => {
        const result = checkKey(request(['Sec-WebSocket-Key', key]));
        const decodesTo16 =
          Buffer.from(key, 'base64').length === 16 && Buffer.from(key, 'base64').toString('base64') === key;
        expect(typeof result === 'string').toBe(decodesTo16);
      }),
    );
  });
});

describe('§4.2.1 (6) Sec-WebSocket-Version: 13', () => {
  it.each([
    [['13'], undefined],
    [['8'], 'UNSUPPORTED_VERSION'],
    [['13, 8'], 'UNSUPPORTED_VERSION'],
    [['13', '13'], 'UNSUPPORTED_VERSION'],
    [[' 13'], 'UNSUPPORTED_VERSION'],
    [[], 'UNSUPPORTED_VERSION'],
  ])('%j -> %s', (values, code) => {
    const result = checkVersion(request(values.flatMap((v) => ['Sec-WebSocket-Version', v])));
    expect(result?.code).toBe(code);
    if (code) expect(result?.headers).toMatchObject({ 'Sec-WebSocket-Version': '13' });
  });
});

describe('§4.2.1 (2) Host, exactly once (RFC 9110 §7.2)', () => {
  it('present once is returned', () => {
    expect(checkHostPresent(request(['Host', 'a.example']))).toBe('a.example');
  });
  it.each([[[]], [['Host', '']], [['Host', 'a', 'host', 'b']], [['Host', 'a', 'Host', 'a']]])(
    '%j -> BAD_HOST',
    (headers) => {
      expect(codeOf(checkHostPresent(request(headers)))).toBe('BAD_HOST');
    },
  );
});

describe('checkOpeningHandshake', () => {
  it('accepts the RFC example and returns key and host', () => {
    expect(checkOpeningHandshake(request(VALID))).toEqual({
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      host: 'server.example.com',
    });
  });
  it('checks in order: method before version before upgrade before key', () => {
    expect(codeOf(checkOpeningHandshake(request([], 'POST', 1, 0)))).toBe('METHOD_NOT_ALLOWED');
    expect(codeOf(checkOpeningHandshake(request([], 'GET', 1, 0)))).toBe('HTTP_VERSION');
    expect(codeOf(checkOpeningHandshake(request(['Host', 'a'])))).toBe('NOT_AN_UPGRADE');
  });
  it('property: never throws on arbitrary header lists', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 20 }), fc.string(), (raw, method) => {
        const headers = raw.length % 2 === 0 ? raw : raw.slice(1);
        checkOpeningHandshake(request([...VALID, ...headers], method));
      }),
    );
  });
});
