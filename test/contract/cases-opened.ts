// Handshakes that open, and the rules whose answer depends on the request's own authority: the missing-Origin
// modes, what the 101 carries, the handler's connection, trust proxy and absolute-form targets.
import { expect } from 'vitest';
import { ACCEPTED, type Case, opened, overBoth, refusedWith } from './case.js';

const SAME_ORIGIN = 'http://127.0.0.1:{port}';
/** The request's own scheme, authority and client, as the hook sees them without a trusted proxy. */
const OWN_SITE = { secure: false, host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), ip: '127.0.0.1' };

/** Opened on /hook, whose context says how the hook saw the request's scheme, authority and client. */
function hookSaw(site: { secure: boolean; host: unknown; ip: string }) {
  return opened('/hook', {
    headers: { ...ACCEPTED, 'X-Hook': 'yes' },
    handled: { route: '/hook', context: { user: 'anonymous', ...site } },
  });
}

export const openedCases: readonly Case[] = [
  {
    name: 'a handshake without Origin or cookies (a non-browser client)',
    request: { path: '/ws' },
    expect: opened('/ws'),
    over: overBoth({ path: '/ws' }),
  },
  { name: 'a query after the route’s path', request: { path: '/ws?room=1' }, expect: opened('/ws') },
  {
    name: 'subprotocols offered to a route that has none: no protocol chosen',
    request: { path: '/ws', headers: { 'Sec-WebSocket-Protocol': 'chat.v2' } },
    expect: opened('/ws', { headers: { ...ACCEPTED, 'Sec-WebSocket-Protocol': null } }),
  },
  {
    name: 'a permessage-deflate offer on a route without it: declined, not refused',
    request: { path: '/ws', headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } },
    expect: opened('/ws', { headers: { ...ACCEPTED, 'Sec-WebSocket-Extensions': null } }),
  },
  { name: 'a same-origin Origin', request: { path: '/ws', headers: { Origin: SAME_ORIGIN } }, expect: opened('/ws') },
  {
    name: 'a same-origin Origin with Sec-Fetch-Site: same-origin and cookies',
    request: { path: '/ws', headers: { Origin: SAME_ORIGIN, 'Sec-Fetch-Site': 'same-origin', Cookie: 'sid=1' } },
    expect: opened('/ws'),
  },
  {
    name: 'no Origin but cookies (missingOrigin allow)',
    request: { path: '/open', headers: { Cookie: 'sid=1' } },
    expect: opened('/open'),
    over: { h2: { path: '/open', headers: { Cookie: 'sid=1' } } },
  },
  {
    name: 'a same-origin Origin (missingOrigin reject)',
    request: { path: '/strict', headers: { Origin: SAME_ORIGIN } },
    expect: opened('/strict'),
  },
  {
    // An origin list is a choice of cross-site origins: fetch metadata does not refuse them.
    name: 'an Origin the route’s list has, cross-site',
    request: { path: '/allowed', headers: { Origin: 'http://allowed.example', 'Sec-Fetch-Site': 'cross-site' } },
    expect: opened('/allowed'),
    over: overBoth({ path: '/allowed', origin: 'http://allowed.example', headers: { 'Sec-Fetch-Site': 'cross-site' } }),
  },
  {
    name: 'the server’s preferred subprotocol of those offered',
    request: { path: '/chat', headers: { 'Sec-WebSocket-Protocol': 'chat.v1, chat.v2' } },
    expect: opened('/chat', {
      headers: { ...ACCEPTED, 'Sec-WebSocket-Protocol': 'chat.v2' },
      handled: { route: '/chat', protocol: 'chat.v2', socketProtocol: 'chat.v2', transport: 'http/1.1' },
    }),
    over: { h2: { path: '/chat', protocols: 'chat.v1, chat.v2' } },
  },
  {
    name: 'the only one of ours offered',
    request: { path: '/chat', headers: { 'Sec-WebSocket-Protocol': 'x, chat.v1' } },
    expect: opened('/chat', {
      headers: { ...ACCEPTED, 'Sec-WebSocket-Protocol': 'chat.v1' },
      handled: { route: '/chat', protocol: 'chat.v1', socketProtocol: 'chat.v1' },
    }),
    over: { h2: { path: '/chat', protocols: 'x, chat.v1' }, 'hixie-76': { path: '/chat', protocols: 'chat.v1' } },
  },
  {
    name: 'the app’s auth passes (x-user)',
    request: { path: '/auth', headers: { 'x-user': 'ada' } },
    expect: opened('/auth', { handled: { route: '/auth' } }),
    over: overBoth({ path: '/auth', headers: { 'x-user': 'ada' } }),
  },
  {
    name: 'the hook’s context and its header on the 101',
    request: { path: '/hook', headers: { 'x-user': 'ada' } },
    expect: opened('/hook', {
      headers: { ...ACCEPTED, 'X-Hook': 'yes' },
      handled: {
        route: '/hook',
        context: { user: 'ada', ...OWN_SITE },
        transport: 'http/1.1',
        protocol: undefined,
        socketProtocol: '',
      },
    }),
  },
  {
    // docs/architecture.md: the middleware's headers ride on the 101, but content metadata; the hook's win.
    name: 'headers the middleware set before the route',
    request: { path: '/headers' },
    expect: opened('/headers', {
      headers: {
        ...ACCEPTED,
        'X-From-Middleware': 'yes',
        'Set-Cookie': 'sid=abc; Path=/',
        'X-Override': 'hook',
      },
      handled: { route: '/headers', context: { headers: true } },
    }),
  },

  // Trust proxy. The core never reads X-Forwarded-*: it answers as a framework that does not trust its peer.
  {
    name: 'a forwarded host the Host policy does not serve, with an Origin that matches it',
    request: { path: '/ws', headers: { 'X-Forwarded-Host': 'evil.example', Origin: 'http://evil.example' } },
    expect: (trusted) => refusedWith(trusted ? 'HOST_FORBIDDEN' : 'ORIGIN_FORBIDDEN', '/ws'),
  },
  {
    name: 'a forwarded host the policy does not serve, with an Origin that matches the Host header',
    request: { path: '/ws', headers: { 'X-Forwarded-Host': 'evil.example', Origin: SAME_ORIGIN } },
    expect: (trusted) => (trusted ? refusedWith('HOST_FORBIDDEN', '/ws') : opened('/ws')),
  },
  {
    name: 'an allowed forwarded host and scheme, with an Origin that matches them',
    request: {
      path: '/ws',
      headers: { 'X-Forwarded-Host': 'localhost:4444', 'X-Forwarded-Proto': 'https', Origin: 'https://localhost:4444' },
    },
    expect: (trusted) => (trusted ? opened('/ws') : refusedWith('ORIGIN_FORBIDDEN', '/ws')),
  },

  // What the hook sees of the request (`upgrade.secure`, `host`, `ip`): the framework's view after trust proxy.
  // (One proxy's headers: for a list, Express and Koa read its first entry, Fastify its last.)
  {
    name: 'the hook’s view of a request through a proxy (X-Forwarded-Host, -Proto, -For)',
    request: {
      path: '/hook',
      headers: {
        'X-Forwarded-Host': 'localhost:4444',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-For': '10.0.0.1',
        Origin: 'https://localhost:4444',
      },
    },
    expect: (trusted) =>
      trusted
        ? hookSaw({ secure: true, host: 'localhost:4444', ip: '10.0.0.1' })
        : refusedWith('ORIGIN_FORBIDDEN', '/hook'),
  },
  {
    name: 'X-Forwarded-Proto alone, with an https Origin for the Host header',
    request: { path: '/hook', headers: { 'X-Forwarded-Proto': 'https', Origin: 'https://127.0.0.1:{port}' } },
    expect: (trusted) => (trusted ? hookSaw({ ...OWN_SITE, secure: true }) : refusedWith('ORIGIN_FORBIDDEN', '/hook')),
  },
  {
    name: 'X-Forwarded-For alone: the client the hook (and quotas per IP) see',
    request: { path: '/hook', headers: { 'X-Forwarded-For': '10.0.0.1' } },
    expect: (trusted) => hookSaw({ ...OWN_SITE, ip: trusted ? '10.0.0.1' : '127.0.0.1' }),
  },

  // RFC 9112 §3.2.2: an absolute-form target's authority is the request's own; Host is ignored.
  {
    name: 'an absolute-form target with an allowed authority, Origin matching it',
    request: { path: '/ws', target: 'http://localhost:{port}/ws', headers: { Origin: 'http://localhost:{port}' } },
    expect: opened('/ws'),
  },
  {
    name: 'an absolute-form target with an allowed authority, Origin matching only the Host header',
    request: { path: '/ws', target: 'http://localhost:{port}/ws', headers: { Origin: SAME_ORIGIN } },
    expect: refusedWith('ORIGIN_FORBIDDEN', '/ws'),
  },
];
