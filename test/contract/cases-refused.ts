// The refusals: every row of the core's table (packages/core/src/rejection.ts) a request can reach on its own,
// the 426 for what is not a WebSocket handshake, and the app's own answers. The rows that need state (a full
// quota, a rate limit, the cap on pending handshakes, shutdown, the deadline) are in scenarios.test.ts.
import { reject } from '@wsgate/core';
import { ANSWERED, LOGIN_REQUIRED } from './app.js';
import { type Case, overBoth, refusedWith, rowBody } from './case.js';

const SAME_ORIGIN = 'http://127.0.0.1:{port}';
const H2C = { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' };

/** The 426 for a request that is not a WebSocket handshake, written through the app's framework (or node:http). */
function upgradeRequired(method: 'GET' | 'HEAD', connection: RegExp, closes = false) {
  const row = reject.notAnUpgrade;
  return {
    status: 426,
    headers: {
      Upgrade: 'websocket',
      Connection: connection,
      'Content-Type': 'text/plain; charset=utf-8',
      'Wsgate-Code': 'NOT_AN_UPGRADE',
      'Content-Length': String(Buffer.byteLength(rowBody(row))),
    },
    body: method === 'HEAD' ? '' : rowBody(row),
    handled: null,
    event: null,
    closes,
  };
}

export const refusedCases: readonly Case[] = [
  // RFC 6455 §4.2.1 and RFC 9112: the transport's own checks, before the app sees the request.
  {
    name: 'POST with the handshake headers',
    request: { method: 'POST', path: '/ws' },
    expect: refusedWith('METHOD_NOT_ALLOWED', undefined),
  },
  {
    name: 'HEAD with the handshake headers',
    request: { method: 'HEAD', path: '/ws' },
    expect: refusedWith('METHOD_NOT_ALLOWED', undefined),
  },
  { name: 'HTTP/1.0', request: { path: '/ws', version: 'HTTP/1.0' }, expect: refusedWith('HTTP_VERSION', undefined) },
  // Node's parser lets a request line of major version 2 through to 'upgrade' (2.1, 1.2 and 3.0 it refuses).
  {
    name: 'an HTTP/2.0 request line',
    request: { path: '/ws', version: 'HTTP/2.0' },
    expect: refusedWith('HTTP_VERSION', undefined),
  },
  {
    name: 'a Content-Length body',
    request: { path: '/ws', headers: { 'Content-Length': '3' }, after: 'abc' },
    expect: refusedWith('BODY_NOT_ALLOWED', undefined),
  },
  {
    name: 'a chunked body',
    request: { path: '/ws', headers: { 'Transfer-Encoding': 'chunked' }, after: '0\r\n\r\n' },
    expect: refusedWith('BODY_NOT_ALLOWED', undefined),
  },
  {
    name: 'a key of 3 bytes',
    request: { path: '/ws', headers: { 'Sec-WebSocket-Key': 'YWJj' } },
    expect: refusedWith('BAD_KEY', undefined),
  },
  {
    name: 'two keys',
    request: {
      path: '/ws',
      headers: { 'Sec-WebSocket-Key': ['dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ=='] },
    },
    expect: refusedWith('BAD_KEY', undefined),
  },
  {
    name: 'version 8',
    request: { path: '/ws', headers: { 'Sec-WebSocket-Version': '8' } },
    expect: refusedWith('UNSUPPORTED_VERSION', undefined),
  },
  { name: 'no Host', request: { path: '/ws', headers: { Host: null } }, expect: refusedWith('BAD_HOST', undefined) },
  {
    name: 'two Host lines',
    request: { path: '/ws', headers: { Host: ['127.0.0.1:{port}', 'localhost:{port}'] } },
    expect: refusedWith('BAD_HOST', undefined),
  },
  {
    name: 'a Host that is no authority',
    request: { path: '/ws', headers: { Host: 'bad!host' } },
    expect: refusedWith('BAD_HOST', undefined),
  },
  // DNS rebinding: a name this loopback server never had, with an Origin that matches it.
  {
    name: 'a Host the policy does not serve',
    request: { path: '/ws', headers: { Host: 'evil.example:{port}', Origin: 'http://evil.example:{port}' } },
    expect: refusedWith('HOST_FORBIDDEN', undefined),
    over: overBoth({ path: '/ws', authority: 'evil.example:{port}', origin: 'http://evil.example:{port}' }),
  },
  {
    name: 'an absolute-form target whose authority the policy does not serve (RFC 9112 §3.2.2)',
    request: {
      path: '/ws',
      target: 'http://evil.example:{port}/ws',
      headers: { Origin: 'http://evil.example:{port}' },
    },
    expect: refusedWith('HOST_FORBIDDEN', undefined),
  },
  {
    name: 'an absolute-form target with userinfo',
    request: { path: '/ws', target: 'http://user@127.0.0.1:{port}/ws' },
    expect: refusedWith('BAD_HOST', undefined),
  },

  // Admission, once the route is known.
  {
    name: 'two Origin lines',
    request: { path: '/ws', headers: { Origin: [SAME_ORIGIN, SAME_ORIGIN] } },
    expect: refusedWith('BAD_ORIGIN', '/ws'),
  },
  {
    name: 'a cross-origin Origin (same-origin policy)',
    request: { path: '/ws', headers: { Origin: 'http://evil.example' } },
    expect: refusedWith('ORIGIN_FORBIDDEN', '/ws'),
    over: overBoth({ path: '/ws', origin: 'http://evil.example' }),
  },
  {
    name: 'an Origin the route’s list does not have',
    request: { path: '/allowed', headers: { Origin: 'http://other.example' } },
    expect: refusedWith('ORIGIN_FORBIDDEN', '/allowed'),
    over: overBoth({ path: '/allowed', origin: 'http://other.example' }),
  },
  {
    name: 'Origin: null',
    request: { path: '/ws', headers: { Origin: 'null' } },
    expect: refusedWith('ORIGIN_FORBIDDEN', '/ws'),
    over: overBoth({ path: '/ws', origin: 'null' }),
  },
  {
    name: 'no Origin but cookies (allow-without-cookies)',
    request: { path: '/ws', headers: { Cookie: 'sid=1' } },
    expect: refusedWith('ORIGIN_FORBIDDEN', '/ws'),
    over: overBoth({ path: '/ws', headers: { Cookie: 'sid=1' } }),
  },
  {
    name: 'no Origin (missingOrigin reject)',
    request: { path: '/strict' },
    expect: refusedWith('ORIGIN_FORBIDDEN', '/strict'),
    over: overBoth({ path: '/strict' }),
  },
  {
    name: 'Sec-Fetch-Site: cross-site with a same-origin Origin',
    request: { path: '/ws', headers: { Origin: SAME_ORIGIN, 'Sec-Fetch-Site': 'cross-site' } },
    expect: refusedWith('CROSS_SITE_FORBIDDEN', '/ws'),
  },
  {
    name: 'a repeated subprotocol',
    request: { path: '/chat', headers: { 'Sec-WebSocket-Protocol': 'chat.v2, chat.v2' } },
    expect: refusedWith('BAD_SUBPROTOCOL', '/chat'),
    over: overBoth({ path: '/chat', protocols: 'chat.v2, chat.v2' }),
  },
  {
    name: 'a subprotocol that is no token',
    request: { path: '/chat', headers: { 'Sec-WebSocket-Protocol': 'chat/v2' } },
    expect: refusedWith('BAD_SUBPROTOCOL', '/chat'),
    over: {
      h2: { path: '/chat', protocols: 'chat/v2' },
      'hixie-76': {
        path: '/chat',
        protocols: 'chat/v2',
        // Draft-76 names one subprotocol, any printable text without spaces (§4.1): not ours, not malformed.
        expect: refusedWith('NO_SUBPROTOCOL', '/chat'),
      },
    },
  },
  {
    name: 'extensions outside the grammar',
    request: { path: '/ws', headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; ;' } },
    expect: refusedWith('BAD_EXTENSIONS', '/ws'),
    over: { h2: { path: '/ws', headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; ;' } } },
  },
  {
    name: 'no subprotocol offered (requireSubprotocol)',
    request: { path: '/chat' },
    expect: refusedWith('NO_SUBPROTOCOL', '/chat'),
    over: overBoth({ path: '/chat' }),
  },
  {
    name: 'none of our subprotocols offered',
    request: { path: '/chat', headers: { 'Sec-WebSocket-Protocol': 'chat.v3' } },
    expect: refusedWith('NO_SUBPROTOCOL', '/chat'),
    over: overBoth({ path: '/chat', protocols: 'chat.v3' }),
  },
  {
    // RFC 6455 §4.4: a version we do not speak on this route (legacy handshakes are off unless listed).
    name: 'a draft-76 handshake on a route without `legacy`',
    request: {
      path: '/open',
      headers: {
        'Sec-WebSocket-Key': null,
        'Sec-WebSocket-Version': null,
        'Sec-WebSocket-Key1': '4 @1  46546xW%0l 1 5',
        'Sec-WebSocket-Key2': '12998 5 Y3 1  .P00',
      },
      after: '^n:ds[4U',
    },
    expect: refusedWith('UNSUPPORTED_VERSION', '/open'),
  },
  {
    name: 'a rate limit whose store fails (fail-closed)',
    request: { path: '/store' },
    expect: refusedWith('STORE_UNAVAILABLE', '/store'),
    over: overBoth({ path: '/store' }),
  },

  // The decision.
  {
    name: 'a hook that throws',
    request: { path: '/throw' },
    expect: refusedWith('HOOK_FAILED', '/throw'),
    over: overBoth({ path: '/throw' }),
  },
  {
    name: 'the hook’s own refusal (REJECTED)',
    request: { path: '/hook', headers: { 'x-deny': '1' } },
    expect: {
      status: 403,
      headers: { 'X-Denied': 'yes', 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', 'X-Hook': null },
      body: 'denied by the hook\n',
      handled: null,
      closes: true,
      event: { outcome: 'reject', code: 'REJECTED', status: 403, route: '/hook' },
      writtenBy: 'core',
    },
    over: overBoth({ path: '/hook', headers: { 'x-deny': '1' } }),
  },
  {
    name: 'the app’s own 401 from its auth middleware (core: the hook)',
    request: { path: '/auth' },
    expect: {
      status: 401,
      headers: { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' },
      body: { json: LOGIN_REQUIRED },
      handled: null,
      closes: true,
      event: { outcome: 'reject', code: 'REJECTED', status: 401, route: '/auth' },
    },
    over: overBoth({ path: '/auth' }),
  },
  {
    name: 'a middleware that answered and still let the request through: its answer stands (core: the hook)',
    request: { path: '/answered' },
    expect: {
      status: ANSWERED.status,
      headers: { ...ANSWERED.headers, Connection: 'close' },
      body: ANSWERED.body,
      handled: null,
      closes: true,
      event: { outcome: 'reject', code: 'REJECTED', status: ANSWERED.status, route: '/answered' },
    },
  },
  {
    name: 'a handshake on a path without a WebSocket route: the app’s own 404',
    request: { path: '/nope' },
    expect: {
      status: 404,
      handled: null,
      closes: true,
      event: { outcome: 'reject', code: 'REJECTED', status: 404, route: undefined },
    },
    // Over HTTP/2 the core's own attach answers NOT_FOUND, the frameworks their 404 (h2.test.ts, RFC 8441 §5).
    over: { 'hixie-76': { path: '/nope' } },
  },

  // Not a WebSocket handshake on a WebSocket route: 426, through the app.
  { name: 'a plain GET', request: { path: '/ws', plain: true }, expect: upgradeRequired('GET', /^upgrade$/i) },
  {
    name: 'a plain HEAD',
    request: { method: 'HEAD', path: '/ws', plain: true },
    expect: upgradeRequired('HEAD', /^upgrade$/i),
  },
  {
    name: 'Upgrade: websocket without the Connection option (an ordinary request to Node)',
    request: { path: '/ws', headers: { Connection: 'keep-alive' } },
    expect: upgradeRequired('GET', /^upgrade$/i),
  },
  // RFC 9112 §9.6: a client that said close, or an HTTP/1.0 one without keep-alive, is answered and let go.
  {
    name: 'a plain GET with Connection: close',
    request: { path: '/ws', plain: true, headers: { Connection: 'close' } },
    expect: upgradeRequired('GET', /^upgrade, close$/i, true),
  },
  {
    name: 'Upgrade: websocket with Connection: close (an ordinary request to Node)',
    request: { path: '/ws', headers: { Connection: 'close' } },
    expect: upgradeRequired('GET', /^upgrade, close$/i, true),
  },
  {
    name: 'a plain HTTP/1.0 GET',
    request: { path: '/ws', plain: true, version: 'HTTP/1.0' },
    expect: upgradeRequired('GET', /^upgrade, close$/i, true),
  },
  // An upgrade request's connection is not reused: its 426 says close.
  {
    name: 'Upgrade: h2c (curl --http2)',
    request: { path: '/ws', plain: true, headers: H2C },
    expect: upgradeRequired('GET', /^upgrade, close$/i, true),
  },
  {
    name: 'HEAD with Upgrade: h2c',
    request: { method: 'HEAD', path: '/ws', plain: true, headers: H2C },
    expect: upgradeRequired('HEAD', /^upgrade, close$/i, true),
  },

  // Ordinary requests stay the app's.
  {
    name: 'Upgrade: h2c on an ordinary route: served as the request it is',
    request: { path: '/health', plain: true, headers: H2C },
    expect: {
      status: 200,
      body: 'ok',
      headers: { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: null },
      handled: null,
      closes: true,
      event: null,
    },
  },
  {
    name: 'a plain GET on an ordinary route',
    request: { path: '/health', plain: true },
    expect: { status: 200, body: 'ok', handled: null, event: null },
  },
];
