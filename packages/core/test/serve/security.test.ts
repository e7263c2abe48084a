// Regression tests for the adversarial review's findings on the core, each over a real socket: what the
// client receives is the proof. Each fails without its fix.
import { afterEach, describe, expect, it } from 'vitest';
import type { RejectionHeaders } from '../../src/index.js';
import { closeServers, handshakeRequest, rawExchange, startServer } from '../helpers.js';

afterEach(closeServers);

/** Header lines of a raw response head, lower-cased names, in order. */
function headerNames(raw: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return head
    .split('\r\n')
    .slice(1)
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

describe('header splitting in rejections (finding 1)', () => {
  it.each([
    ['a value whose characters encode to CR LF in latin1', { 'X-Reason': 'a\u010d\u010aSet-Cookie: sid=attacker' }],
    ['a value with a character above U+00FF', { 'X-Reason': 'caf\u2028e' }],
    ['a value with DEL', { 'X-Reason': 'a\x7f' }],
    ['a value with a bare CR', { 'X-Reason': 'a\rSet-Cookie: sid=attacker' }],
    ['a name with a character above U+00FF', { 'X-R\u010d\u010aSet-Cookie': 'x' }],
  ] as Array<[string, RejectionHeaders]>)('%s is never written: 500 HOOK_FAILED, reported', async (_, headers) => {
    const errors: unknown[] = [];
    const { port } = await startServer(
      (gate) => gate.route('/ws', { onUpgrade: (up) => up.reject(403, 'no', headers) }, () => {}),
      {
        onError: (error) => errors.push(error),
      },
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expect(response.status).toBe(500);
    expect(headerNames(response.raw)).not.toContain('set-cookie');
    expect(response.raw).not.toContain('attacker');
    expect(errors).toHaveLength(1);
  });

  it.each([
    ['a string status carrying a header', '403 X\r\nSet-Cookie: a=1'],
    ['101, which a proxy may take for a protocol switch', 101],
    ['0', 0],
    ['199', 199],
    ['200', 200],
    ['999', 999],
    ['NaN', Number.NaN],
    ['403.5', 403.5],
  ])('a status that is %s is a programming error: 500 HOOK_FAILED, reported', async (_, status) => {
    const errors: unknown[] = [];
    const { port } = await startServer(
      (gate) => gate.route('/ws', { onUpgrade: (up) => up.reject(status as number, 'no') }, () => {}),
      { onError: (error) => errors.push(error) },
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expect(response.statusLine).toBe('HTTP/1.1 500 Internal Server Error');
    expect(headerNames(response.raw)).not.toContain('set-cookie');
    expect(errors[0]).toBeInstanceOf(TypeError);
  });
});

describe('rejection framing (finding 5)', () => {
  it('a 304 carries neither a body nor a Content-Length', async () => {
    const { port } = await startServer((gate) =>
      gate.route('/ws', { onUpgrade: (up) => up.reject(304, 'ignored') }, () => {}),
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expect(response.status).toBe(304);
    expect(response.body).toBe('');
    expect(headerNames(response.raw)).not.toContain('content-length');
  });

  it.each(['Transfer-Encoding', 'Content-Length', 'Connection', 'content-length'])(
    'a rejection header %s that the writer owns is a programming error',
    async (name) => {
      const errors: unknown[] = [];
      const { port } = await startServer(
        (gate) => gate.route('/ws', { onUpgrade: (up) => up.reject(401, 'no', { [name]: 'chunked' }) }, () => {}),
        { onError: (error) => errors.push(error) },
      );
      const response = await rawExchange(port, handshakeRequest(port));
      expect(response.status).toBe(500);
      expect(headerNames(response.raw).filter((header) => header === name.toLowerCase()).length).toBeLessThanOrEqual(1);
      expect(headerNames(response.raw)).not.toContain('transfer-encoding');
      expect(errors[0]).toBeInstanceOf(TypeError);
    },
  );

  it.each([
    'Sec-WebSocket-Accept',
    'sec-websocket-protocol',
    'Sec-WebSocket-Extensions',
    'Upgrade',
    'Connection',
    'Content-Length',
    'Transfer-Encoding',
  ])('setHeader(%s) on the 101 is refused: the handshake owns it', async (name) => {
    const errors: unknown[] = [];
    const { port } = await startServer(
      (gate) =>
        gate.route(
          '/ws',
          {
            onUpgrade: (up) => {
              up.setHeader(name, 'x');
              return {};
            },
          },
          () => {},
        ),
      { onError: (error) => errors.push(error) },
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expect(response.status).toBe(500);
    expect(errors[0]).toBeInstanceOf(TypeError);
  });
});

describe('a body on an upgrade request (finding 8)', () => {
  it.each([
    ['Content-Length: 5', { 'Content-Length': '5' }, 'hello'],
    ['Transfer-Encoding: chunked', { 'Transfer-Encoding': 'chunked' }, '5\r\nhello\r\n0\r\n\r\n'],
  ])('%s gets 400 BODY_NOT_ALLOWED and no body byte reaches a handler', async (_, extra, body) => {
    let handled = 0;
    const { port } = await startServer((gate) => gate.route('/ws', {}, () => void handled++));
    const response = await rawExchange(port, handshakeRequest(port, extra) + body);
    expect(response.status).toBe(400);
    expect(response.body).toContain('BODY_NOT_ALLOWED');
    expect(handled).toBe(0);
  });

  it('Content-Length: 0 is no body', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, () => {}));
    const response = await rawExchange(port, handshakeRequest(port, { 'Content-Length': '0' }), 300);
    expect(response.status).toBe(101);
  });
});

describe('the protocol token never reaches a log (finding 6)', () => {
  it('a selector that picks the token entry is refused without quoting it', async () => {
    const errors: unknown[] = [];
    const { port } = await startServer(
      (gate) => gate.route('/ws', { protocolToken: 'bearer.', subprotocols: () => 'bearer.SECRET-TOKEN' }, () => {}),
      { onError: (error) => errors.push(error) },
    );
    const response = await rawExchange(
      port,
      handshakeRequest(port, { 'Sec-WebSocket-Protocol': 'chat, bearer.SECRET-TOKEN' }),
    );
    expect(response.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).not.toContain('SECRET-TOKEN');
    expect(response.raw).not.toContain('SECRET-TOKEN');
  });

  it('the prefix matches case-insensitively, so a pass-through selector cannot echo the token', async () => {
    let token: string | undefined;
    const { port } = await startServer((gate) =>
      gate.route(
        '/ws',
        {
          protocolToken: 'bearer.',
          subprotocols: (offered) => offered[0],
          onUpgrade: (up) => {
            token = up.protocolToken;
            return {};
          },
        },
        () => {},
      ),
    );
    const response = await rawExchange(
      port,
      handshakeRequest(port, { 'Sec-WebSocket-Protocol': 'Bearer.SECRET-TOKEN, chat' }),
      300,
    );
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBe('chat');
    expect(response.raw).not.toContain('SECRET-TOKEN');
    expect(token).toBe('SECRET-TOKEN');
  });
});

describe('list lengths before auth (finding 7)', () => {
  const tokens = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`).join(', ');

  it('1,000 offered subprotocols get 400 BAD_SUBPROTOCOL', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', { subprotocols: ['x'] }, () => {}));
    const response = await rawExchange(port, handshakeRequest(port, { 'Sec-WebSocket-Protocol': tokens(1000) }));
    expect(response.status).toBe(400);
    expect(response.body).toContain('BAD_SUBPROTOCOL');
  });

  it('1,000 extension offers get 400 BAD_EXTENSIONS', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, () => {}));
    const response = await rawExchange(port, handshakeRequest(port, { 'Sec-WebSocket-Extensions': tokens(1000) }));
    expect(response.status).toBe(400);
    expect(response.body).toContain('BAD_EXTENSIONS');
  });

  it('a browser-sized list passes', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', { subprotocols: ['p63'] }, () => {}));
    const response = await rawExchange(port, handshakeRequest(port, { 'Sec-WebSocket-Protocol': tokens(64) }), 300);
    expect(response.status).toBe(101);
  });
});

describe('permessage-deflate parameters (finding 10)', () => {
  it.each([
    'permessage-deflate; server_max_window_bits=09',
    'permessage-deflate; server_max_window_bits=+9',
    'permessage-deflate; server_max_window_bits=9.0',
    'permessage-deflate; client_max_window_bits=010',
    'permessage-deflate; server_max_window_bits="09"',
  ])('%s is declined (RFC 7692 §7.1.2.1: 8..15 without leading zeros)', async (offer) => {
    const { port } = await startServer((gate) => gate.route('/ws', { perMessageDeflate: true }, () => {}));
    const response = await rawExchange(port, handshakeRequest(port, { 'Sec-WebSocket-Extensions': offer }), 300);
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('the first acceptable offer is taken when an earlier one is not (RFC 7692 §5)', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', { perMessageDeflate: true }, () => {}));
    const response = await rawExchange(
      port,
      handshakeRequest(port, {
        'Sec-WebSocket-Extensions': 'permessage-deflate; foo, permessage-deflate; client_max_window_bits',
      }),
      300,
    );
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
  });
});
