// The gate over real sockets on 127.0.0.1: ws and undici clients for what works, raw TCP for every
// malformed request in the rejection table (status, headers, body, and that the server closes).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import net from 'node:net';
import { WebSocket as UndiciWebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type HandshakeEvent, MemoryLeaseStore, quotaPerIp, quotaPerKey } from '../../src/index.js';
import { closeServers, eventually, handshakeRequest, KEY, rawExchange, startServer } from '../helpers.js';

afterEach(closeServers);

const echo = (socket: import('ws').WebSocket) => socket.on('message', (data, binary) => socket.send(data, { binary }));

// Messages are queued from the start: a server may send before the client's 'open' listener returns.
const inbox = new WeakMap<import('ws').WebSocket, string[]>();

function connect(
  url: string,
  protocols?: string[],
  options: import('ws').ClientOptions = {},
): Promise<import('ws').WebSocket> {
  const socket = new WebSocket(url, protocols, options);
  const queue: string[] = [];
  inbox.set(socket, queue);
  socket.on('message', (data) => queue.push(String(data)));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function nextMessage(socket: import('ws').WebSocket): Promise<string> {
  const queue = inbox.get(socket) as string[];
  await eventually(() => queue.length > 0);
  return queue.shift() as string;
}

describe('accepting: real clients', () => {
  it('a ws client without protocols exchanges messages', async () => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, echo));
    const socket = await connect(`ws://127.0.0.1:${port}/ws`);
    expect(socket.protocol).toBe('');
    socket.send('hello');
    expect(await nextMessage(socket)).toBe('hello');
    socket.close();
  });

  it('the server order of preference picks the protocol; the handler sees it and the typed context', async () => {
    let seen: { user: string } | undefined;
    const { port } = await startServer((gate) =>
      gate.route(
        '/ws',
        { subprotocols: ['chat.v2', 'chat.v1'], onUpgrade: () => ({ user: 'ada' }) },
        (socket, { context, protocol }) => {
          seen = context;
          socket.send(String(protocol));
        },
      ),
    );
    const socket = await connect(`ws://127.0.0.1:${port}/ws`, ['chat.v1', 'chat.v2']);
    expect(socket.protocol).toBe('chat.v2');
    expect(await nextMessage(socket)).toBe('chat.v2');
    expect(seen).toEqual({ user: 'ada' });
    socket.close();
  });

  it('an async selector gets the offered list; no common protocol without requireSubprotocol accepts with none', async () => {
    const { port } = await startServer((gate) => {
      gate.route('/pick', { subprotocols: async (offered) => offered.at(-1) }, echo);
      gate.route('/none', { subprotocols: ['x'] }, echo);
    });
    expect((await connect(`ws://127.0.0.1:${port}/pick`, ['a', 'b'])).protocol).toBe('b');
    const none = await connect(`ws://127.0.0.1:${port}/none`, ['a']).catch((error: Error) => error);
    // RFC 6455 §4.1: a client that offered protocols fails the connection when the server picks none.
    expect(none).toBeInstanceOf(Error);
  });

  it('permessage-deflate: off by default, negotiated when enabled, declined (not refused) when unacceptable', async () => {
    const { port } = await startServer((gate) => {
      gate.route('/plain', {}, echo);
      gate.route('/deflate', { perMessageDeflate: true }, echo);
      gate.route('/strict', { perMessageDeflate: { serverNoContextTakeover: false } }, echo);
    });
    const plain = await connect(`ws://127.0.0.1:${port}/plain`, undefined, { perMessageDeflate: true });
    expect(plain.extensions).toBe('');
    const deflate = await connect(`ws://127.0.0.1:${port}/deflate`, undefined, { perMessageDeflate: true });
    expect(deflate.extensions).toBe('permessage-deflate');
    const big = 'x'.repeat(64 * 1024);
    deflate.send(big);
    expect(await nextMessage(deflate)).toBe(big);
    // The client insists on server_no_context_takeover, which this route refuses: declined, still connected.
    const declined = await connect(`ws://127.0.0.1:${port}/strict`, undefined, {
      perMessageDeflate: { serverNoContextTakeover: true },
    });
    expect(declined.extensions).toBe('');
    for (const socket of [plain, deflate, declined]) socket.close();
  });

  it("undici's WebSocket connects, negotiates and echoes", async () => {
    const { port } = await startServer((gate) => gate.route('/ws', { subprotocols: ['chat.v2'] }, echo));
    const socket = new UndiciWebSocket(`ws://127.0.0.1:${port}/ws`, ['chat.v2']);
    await once(socket as unknown as EventTarget, 'open');
    expect(socket.protocol).toBe('chat.v2');
    socket.send('from undici');
    const [event] = (await once(socket as unknown as EventTarget, 'message')) as [MessageEvent];
    expect(event.data).toBe('from undici');
    socket.close();
  });

  it('extra 101 headers from the hook reach the client', async () => {
    const { port } = await startServer((gate) =>
      gate.route('/ws', { onUpgrade: (up) => up.setHeader('Set-Cookie', ['a=1', 'b=2']) }, echo),
    );
    const response = await rawExchange(port, handshakeRequest(port), 300);
    expect(response.status).toBe(101);
    expect(response.raw).toContain('Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n');
    expect(response.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('a frame sent in the same packet as the request reaches the handler (head bytes)', async () => {
    const received: string[] = [];
    const { port } = await startServer((gate) =>
      gate.route('/ws', { onUpgrade: () => new Promise<object>((r) => setTimeout(() => r({}), 20)) }, (socket) =>
        socket.on('message', (data) => received.push(String(data))),
      ),
    );
    // A masked text frame "hi" (RFC 6455 §5.2, §5.3).
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from('hi').map((byte, i) => byte ^ (mask[i % 4] as number));
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 2]), mask, payload]);
    const socket = net.connect(port, '127.0.0.1');
    socket.write(Buffer.concat([Buffer.from(handshakeRequest(port)), frame]));
    await eventually(() => received.length > 0);
    expect(received).toEqual(['hi']);
    socket.destroy();
  });

  it('a protocol token is handed to the hook and never echoed', async () => {
    let token: string | undefined;
    const { port } = await startServer((gate) =>
      gate.route(
        '/ws',
        {
          subprotocols: ['chat.v1'],
          protocolToken: 'bearer.',
          onUpgrade: (up) => {
            token = up.protocolToken;
            return up.protocolToken === 's3cret' ? {} : up.reject(401);
          },
        },
        echo,
      ),
    );
    const socket = await connect(`ws://127.0.0.1:${port}/ws`, ['chat.v1', 'bearer.s3cret']);
    expect(token).toBe('s3cret');
    expect(socket.protocol).toBe('chat.v1');
    socket.close();
    const refused = await rawExchange(
      port,
      handshakeRequest(port, { 'Sec-WebSocket-Protocol': 'chat.v1, bearer.nope' }),
    );
    expect(refused.status).toBe(401);
  });
});

describe('rejecting: every row of the table over raw TCP', () => {
  const expectClosedRejection = (response: Awaited<ReturnType<typeof rawExchange>>, status: number) => {
    expect(response.status).toBe(status);
    expect(response.headers.connection).toMatch(/(^|, )close$/);
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body, 'latin1'));
    expect(response.closed).toBe(true);
  };

  it.each([
    ['METHOD_NOT_ALLOWED', 405, {}, 'POST /ws HTTP/1.1', { allow: 'GET' }],
    ['HTTP_VERSION', 505, {}, 'GET /ws HTTP/1.0', {}],
    ['NOT_AN_UPGRADE', 426, { Upgrade: 'h2c' }, undefined, { upgrade: 'websocket' }],
    ['BAD_KEY (missing)', 400, { 'Sec-WebSocket-Key': null }, undefined, {}],
    ['BAD_KEY (15 bytes)', 400, { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAA' }, undefined, {}],
    ['BAD_KEY (repeated)', 400, { 'Sec-WebSocket-Key': [KEY, KEY] }, undefined, {}],
    ['UNSUPPORTED_VERSION', 426, { 'Sec-WebSocket-Version': '8' }, undefined, { 'sec-websocket-version': '13' }],
    ['BAD_HOST (missing)', 400, { Host: null }, undefined, {}],
    ['BAD_HOST (repeated)', 400, { Host: ['127.0.0.1', '127.0.0.1'] }, undefined, {}],
    ['BAD_HOST (userinfo)', 400, { Host: 'a@127.0.0.1' }, undefined, {}],
    ['HOST_FORBIDDEN (rebinding name on loopback)', 403, { Host: 'evil.example:80' }, undefined, {}],
    ['BAD_ORIGIN (repeated)', 400, { Origin: ['http://x', 'http://x'] }, undefined, {}],
    ['ORIGIN_FORBIDDEN (cross origin)', 403, { Origin: 'http://evil.example' }, undefined, {}],
    ['ORIGIN_FORBIDDEN (null)', 403, { Origin: 'null' }, undefined, {}],
    ['ORIGIN_FORBIDDEN (no Origin but cookies)', 403, { Cookie: 'sid=1' }, undefined, {}],
    ['BAD_SUBPROTOCOL (repeated)', 400, { 'Sec-WebSocket-Protocol': 'a, a' }, undefined, {}],
    ['BAD_SUBPROTOCOL (not a token)', 400, { 'Sec-WebSocket-Protocol': 'a/b' }, undefined, {}],
    ['BAD_EXTENSIONS', 400, { 'Sec-WebSocket-Extensions': 'permessage-deflate; =' }, undefined, {}],
  ])('%s -> %i', async (_name, status, headers, requestLine, expectedHeaders) => {
    const { port } = await startServer((gate) => gate.route('/ws', {}, echo));
    const response = await rawExchange(port, handshakeRequest(port, headers as Record<string, string>, requestLine));
    expectClosedRejection(response, status);
    expect(response.headers).toMatchObject(expectedHeaders);
    if (status === 426 && 'upgrade' in expectedHeaders) expect(response.headers.connection).toBe('Upgrade, close');
  });

  it('CROSS_SITE_FORBIDDEN: Sec-Fetch-Site: cross-site is refused by default, allowed once origins are listed', async () => {
    const { port } = await startServer((gate) => {
      gate.route('/ws', { origin: () => true, fetchMetadata: true }, echo);
      gate.route('/listed', { origin: ['http://partner.example'] }, echo);
    });
    const refused = await rawExchange(port, handshakeRequest(port, { 'Sec-Fetch-Site': 'cross-site' }));
    expectClosedRejection(refused, 403);
    const listed = await rawExchange(
      port,
      handshakeRequest(
        port,
        { Origin: 'http://partner.example', 'Sec-Fetch-Site': 'cross-site' },
        'GET /listed HTTP/1.1',
      ),
      300,
    );
    expect(listed.status).toBe(101);
  });

  it('NO_SUBPROTOCOL when a protocol is required and none offered matches', async () => {
    const { port } = await startServer((gate) =>
      gate.route('/ws', { subprotocols: ['chat.v2'], requireSubprotocol: true }, echo),
    );
    expectClosedRejection(
      await rawExchange(port, handshakeRequest(port, { 'Sec-WebSocket-Protocol': 'chat.v9' })),
      400,
    );
    expectClosedRejection(await rawExchange(port, handshakeRequest(port)), 400);
  });

  it('REJECTED: the hook answers with its own status, headers and JSON body', async () => {
    const { port } = await startServer((gate) =>
      gate.route(
        '/ws',
        { onUpgrade: (up) => up.reject(401, { error: 'login required' }, { 'WWW-Authenticate': 'Bearer' }) },
        echo,
      ),
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expectClosedRejection(response, 401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(response.body)).toEqual({ error: 'login required' });
  });

  it('HOOK_FAILED: a hook that throws, rejects, or sets a header with CR/LF gets 500 and is reported, not leaked', async () => {
    const errors: unknown[] = [];
    const { port, gate } = await startServer(
      (g) => {
        g.route(
          '/throw',
          {
            onUpgrade: () => {
              throw new Error('secret detail');
            },
          },
          echo,
        );
        g.route('/reject', { onUpgrade: () => Promise.reject(new Error('secret detail')) }, echo);
        g.route('/crlf', { onUpgrade: (up) => up.setHeader('X-Evil', 'a\r\nSet-Cookie: pwned=1') }, echo);
        g.route('/unoffered', { subprotocols: () => 'never-offered' }, echo);
      },
      { onError: (error) => errors.push(error) },
    );
    for (const path of ['/throw', '/reject', '/crlf', '/unoffered']) {
      const response = await rawExchange(
        port,
        handshakeRequest(port, { 'Sec-WebSocket-Protocol': 'a' }, `GET ${path} HTTP/1.1`),
      );
      expectClosedRejection(response, 500);
      expect(response.raw).not.toContain('secret detail');
      expect(response.raw).not.toContain('pwned');
    }
    expect(errors).toHaveLength(4);
    expect(gate.pending).toBe(0);
  });

  it('HANDSHAKE_TIMEOUT: a hook that never settles gets 503 at the deadline, its signal aborted, nothing pending', async () => {
    let signal: AbortSignal | undefined;
    const { port, gate } = await startServer((g) =>
      g.route(
        '/ws',
        {
          handshakeTimeout: 100,
          onUpgrade: (up) => {
            signal = up.signal;
            return new Promise(() => {});
          },
        },
        echo,
      ),
    );
    const response = await rawExchange(port, handshakeRequest(port));
    expectClosedRejection(response, 503);
    expect(response.headers['retry-after']).toBe('1');
    expect(signal?.aborted).toBe(true);
    expect(gate.pending).toBe(0);
  });

  it('OVERLOADED: past the pending cap the excess gets 503 while the rest succeed', async () => {
    let release!: () => void;
    const gateOpen = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { port, gate } = await startServer(
      (g) => g.route('/ws', { onUpgrade: () => gateOpen.then(() => ({})) }, echo),
      {
        maxPending: 3,
      },
    );
    const held = [0, 1, 2].map(() => rawExchange(port, handshakeRequest(port), 500));
    await eventually(() => gate.pending === 3);
    const excess = await rawExchange(port, handshakeRequest(port));
    expectClosedRejection(excess, 503);
    release();
    for (const response of await Promise.all(held)) expect(response.status).toBe(101);
  });

  it('QUOTA_EXCEEDED: per IP and per key, 429 with Retry-After; counts go back to zero after close', async () => {
    const store = new MemoryLeaseStore();
    const { port } = await startServer((g) =>
      g.route(
        '/ws',
        {
          onUpgrade: () => ({ user: 'ada' }),
          quotas: [
            quotaPerIp(2, { store }),
            quotaPerKey(5, ({ context }) => (context as { user: string }).user, { store, retryAfter: 7 }),
          ],
        },
        echo,
      ),
    );
    const url = `ws://127.0.0.1:${port}/ws`;
    const sockets = [await connect(url), await connect(url)];
    expect(store.held()).toBe(4);
    const third = await rawExchange(port, handshakeRequest(port));
    expectClosedRejection(third, 429);
    expect(third.headers['retry-after']).toBe('1');
    expect(store.held()).toBe(4);
    for (const socket of sockets) socket.close();
    await eventually(() => store.held() === 0);
  });

  it('SHUTTING_DOWN: after close() new handshakes get 503 and open sockets get 1001', async () => {
    const { port, gate } = await startServer((g) => g.route('/ws', {}, echo));
    const socket = await connect(`ws://127.0.0.1:${port}/ws`);
    const closed = once(socket, 'close');
    const closing = gate.close({ timeout: 2_000 });
    const [code] = await closed;
    expect(code).toBe(1001);
    await closing;
    expectClosedRejection(await rawExchange(port, handshakeRequest(port)), 503);
  });

  it('SHUTTING_DOWN: a handshake still in its hook when close() begins gets 503, not a 101', async () => {
    let hookStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      hookStarted = resolve;
    });
    const { port, gate } = await startServer((g) =>
      g.route(
        '/ws',
        {
          onUpgrade: async () => {
            hookStarted();
            await new Promise((r) => setTimeout(r, 100));
            return {};
          },
        },
        echo,
      ),
    );
    const answer = rawExchange(port, handshakeRequest(port));
    await started;
    await gate.close({ timeout: 100 });
    expectClosedRejection(await answer, 503);
    expect(gate.connections.size).toBe(0);
  });

  it('server sockets answer pings (RFC 6455 §5.5.2) and wait for the closing handshake', async () => {
    const { port } = await startServer((g) =>
      g.route('/ws', {}, (socket) => socket.on('message', () => socket.close(1000))),
    );
    const socket = await connect(`ws://127.0.0.1:${port}/ws`);
    const pong = once(socket, 'pong');
    socket.ping('p');
    expect(String((await pong)[0])).toBe('p');
    const closed = once(socket, 'close');
    socket.send('bye');
    // A clean close: the server waited for our close frame instead of cutting the connection (1006).
    expect((await closed)[0]).toBe(1000);
  });

  it('a plain GET to a WebSocket route gets 426 through handleRequest', async () => {
    const { port, gate, server } = await startServer((g) => g.route('/ws', {}, echo));
    server.removeAllListeners('request');
    server.on('request', (request, response) => {
      if (!gate.handleRequest(request, response)) response.end('page');
    });
    const response = await fetch(`http://127.0.0.1:${port}/ws`);
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('page');
  });
});

describe('aborts, observability', () => {
  it('a handler that throws or rejects is reported and its socket closed with 1011', async () => {
    const errors: unknown[] = [];
    const { port } = await startServer(
      (g) => {
        g.route('/throws', {}, () => {
          throw new Error('handler bug');
        });
        g.route('/rejects', {}, async () => {
          throw new Error('async handler bug');
        });
      },
      { onError: (error) => errors.push(error) },
    );
    for (const path of ['/throws', '/rejects']) {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`);
      const [code] = await once(socket, 'close');
      expect(code).toBe(1011);
    }
    expect(errors.map(String)).toEqual(['Error: handler bug', 'Error: async handler bug']);
  });

  it('a client that disconnects during an async hook leaves nothing behind and the handler never runs', async () => {
    let handlerCalls = 0;
    let hookStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      hookStarted = resolve;
    });
    let signal: AbortSignal | undefined;
    const events: HandshakeEvent[] = [];
    const { port, gate } = await startServer(
      (g) =>
        g.route(
          '/ws',
          {
            onUpgrade: async (up) => {
              signal = up.signal;
              hookStarted();
              await new Promise((resolve) => setTimeout(resolve, 100));
              return {};
            },
          },
          () => {
            handlerCalls++;
          },
        ),
      { onEvent: (event) => event.outcome !== 'close' && events.push(event) },
    );
    const socket = net.connect(port, '127.0.0.1');
    socket.write(handshakeRequest(port));
    await started;
    socket.destroy();
    await eventually(() => events.length === 1);
    expect(events[0]).toMatchObject({ outcome: 'abort', code: 'CLIENT_GONE', route: '/ws' });
    expect(signal?.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(handlerCalls).toBe(0);
    expect(gate.pending).toBe(0);
    expect(gate.connections.size).toBe(0);
  });

  it('publishes accept and reject on diagnostics_channel with code, route and time', async () => {
    const seen: HandshakeEvent[] = [];
    const listener = (message: unknown) => seen.push(message as HandshakeEvent);
    subscribe('wsgate:handshake:accept', listener);
    subscribe('wsgate:handshake:reject', listener);
    try {
      const { port } = await startServer((g) => g.route('/ws', {}, echo));
      const socket = await connect(`ws://127.0.0.1:${port}/ws`);
      socket.close();
      await rawExchange(port, handshakeRequest(port, { 'Sec-WebSocket-Version': '7' }));
      expect(seen.map((e) => [e.outcome, e.code, e.status])).toEqual([
        ['accept', undefined, 101],
        ['reject', 'UNSUPPORTED_VERSION', 426],
      ]);
      expect(seen[0]?.route).toBe('/ws');
      expect(seen[0]?.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      unsubscribe('wsgate:handshake:accept', listener);
      unsubscribe('wsgate:handshake:reject', listener);
    }
  });
});

describe('observers that throw', () => {
  it('an onEvent that throws is reported to onError and the handshake still completes', async () => {
    const errors: unknown[] = [];
    let handled = 0;
    const { port } = await startServer((gate) => gate.route('/ws', {}, () => void handled++), {
      onEvent: () => {
        throw new Error('observer bug');
      },
      onError: (error) => errors.push(error),
    });
    const socket = await connect(`ws://127.0.0.1:${port}/ws`);
    await eventually(() => handled === 1);
    expect(String(errors[0])).toContain('observer bug');
    socket.close();
  });
});
