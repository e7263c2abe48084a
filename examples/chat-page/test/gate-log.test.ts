// The demo's gate log over real sockets: a node:http server with a gate, ws clients that carry secrets, and
// viewers reading GET /gate-log as Server-Sent Events.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createGate, type Gate } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createGateLog, type GateLog, slowRoute } from '../demo.js';

interface Frame {
  event: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** A viewer of GET /gate-log: every frame it received, and a wait for the next one that matches. */
interface Viewer {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: Frame[];
  text(): string;
  next(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  ended: Promise<void>;
  close(): void;
}

function openViewer(
  base: string,
  query = '',
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}/gate-log${query}`, { headers, localAddress }, (response) => {
      const frames: Frame[] = [];
      const waiters = new Set<() => void>();
      let raw = '';
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let end = pending.indexOf('\n\n');
        while (end >= 0) {
          const frame: Frame = { event: 'message' };
          for (const line of pending.slice(0, end).split('\n')) {
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === '') frame.comment = value;
            else if (field === 'event' || field === 'id' || field === 'data') frame[field] = value;
          }
          frames.push(frame);
          pending = pending.slice(end + 2);
          end = pending.indexOf('\n\n');
        }
        for (const waiter of waiters) waiter();
      });
      const ended = new Promise<void>((done) => response.on('close', done));
      resolve({
        status: response.statusCode!,
        headers: response.headers,
        frames,
        text: () => raw,
        ended,
        close: () => request.destroy(),
        next: (predicate, timeoutMs = 5000) =>
          new Promise((found, fail) => {
            let seen = 0;
            const check = () => {
              for (; seen < frames.length; seen++) {
                if (predicate(frames[seen]!)) {
                  clearTimeout(timer);
                  waiters.delete(check);
                  return found(frames[seen]!);
                }
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching frame within ${timeoutMs} ms; got ${raw}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      });
    });
    request.on('error', reject);
  });
}

const entries = (viewer: Viewer) =>
  viewer.frames.filter((frame) => frame.event === 'message').map((frame) => JSON.parse(frame.data!));

/** The handshake decisions among the entries (a connection's close is an entry too, whenever it comes). */
const handshakes = (viewer: Viewer) => entries(viewer).filter((entry) => entry.outcome !== 'close');

const key = '0123456789abcdef0123456789abcdef';
const otherKey = 'fedcba9876543210fedcba9876543210';
const secret = 'S3cr3t-t0ken-value';

let server: http.Server | undefined;
let gate: Gate | undefined;
let log: GateLog | undefined;
const viewers: Viewer[] = [];

afterEach(async () => {
  for (const viewer of viewers.splice(0)) viewer.close();
  log?.close();
  await gate?.close({ timeout: 100 });
  server?.closeAllConnections();
  await new Promise((done) => (server?.listening ? server.close(done) : done(undefined)));
  server = gate = log = undefined;
});

/** A server whose /chat wants chat.v2 and the cookie sid=ok, and whose /slow is the demo's slow route. */
async function start(options?: Parameters<typeof createGateLog>[0]) {
  const gateLog = createGateLog(options);
  log = gateLog;
  gate = createGate({ onEvent: (event) => gateLog.record(event), protocolToken: 'bearer.' });
  gate.route(
    '/chat',
    {
      subprotocols: ['chat.v2'],
      requireSubprotocol: true,
      onUpgrade: (up) => (up.cookies.sid === 'ok' ? {} : up.reject(401)),
    },
    (socket) => socket.close(1000),
  );
  let slowHandlerCalled = false;
  gate.route('/slow', slowRoute, () => {
    slowHandlerCalled = true;
  });
  server = http.createServer((request, response) => {
    if (request.url?.startsWith('/gate-log')) return gateLog.stream(request, response);
    response.writeHead(404).end();
  });
  gate.attach(server);
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const view = async (query?: string, headers?: Record<string, string>, localAddress?: string) => {
    const viewer = await openViewer(base, query, headers, localAddress);
    viewers.push(viewer);
    return viewer;
  };
  return { base, ws: base.replace('http', 'ws'), view, slowHandlerCalled: () => slowHandlerCalled };
}

/** Opens a ws client: 'open', or the refusal's status and its Wsgate-Code. */
function attempt(url: string, protocols: string[], headers: Record<string, string>) {
  return new Promise<string>((resolve) => {
    const socket = new WebSocket(url, protocols, { headers });
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      const code = response.headers['wsgate-code']; // none on an app's own refusal (REJECTED)
      resolve(code === undefined ? `${response.statusCode}` : `${response.statusCode} ${code}`);
    });
    socket.on('error', () => {});
  });
}

describe('GET /gate-log', () => {
  it('streams every decision to every viewer, the attempt number only to the viewer whose key it carries', async () => {
    const { base, ws, view } = await start();
    const mine = await view(`?viewer=${key}`);
    const theirs = await view(`?viewer=${otherKey}`);
    const anonymous = await view();
    expect(mine.status).toBe(200);
    expect(mine.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(mine.headers['cache-control']).toBe('no-store');
    await mine.next((frame) => frame.event === 'live');

    const headers = { Origin: base, Cookie: `sid=ok; other=${secret}`, Authorization: `Bearer ${secret}` };
    const url = `${ws}/chat?token=${secret}&attempt=${key}.1`;
    expect(await attempt(url, ['chat.v2', `bearer.${secret}`], headers)).toBe('open');
    expect(await attempt(`${ws}/chat?attempt=${key}.2`, ['chat.v2'], { Origin: 'http://evil.example' })).toBe(
      '403 ORIGIN_FORBIDDEN',
    );
    expect(await attempt(`${ws}/chat?attempt=${key}.3`, ['chat.v9'], { Origin: base })).toBe('400 NO_SUBPROTOCOL');
    expect(await attempt(`${ws}/chat?attempt=${key}.4`, ['chat.v2'], { Origin: base })).toBe('401');

    for (const viewer of [mine, theirs, anonymous])
      await viewer.next((frame) => frame.data?.includes('"REJECTED"') ?? false);
    const decisions = [
      { outcome: 'accept', code: null, status: 101, route: '/chat', transport: 'http/1.1' },
      { outcome: 'reject', code: 'ORIGIN_FORBIDDEN', status: 403, route: '/chat' },
      { outcome: 'reject', code: 'NO_SUBPROTOCOL', status: 400, route: '/chat' },
      { outcome: 'reject', code: 'REJECTED', status: 401, route: '/chat' },
    ];
    expect(handshakes(mine)).toMatchObject(
      decisions.map((decision, i) => ({ ...decision, mine: true, attempt: i + 1 })),
    );
    for (const viewer of [theirs, anonymous]) {
      expect(handshakes(viewer)).toMatchObject(decisions);
      for (const entry of entries(viewer)) expect(Object.keys(entry)).not.toContain('attempt');
    }
    for (const viewer of [mine, theirs, anonymous]) {
      expect(viewer.text()).not.toContain(secret);
      expect(viewer.text()).not.toContain(key); // not even to the viewer it belongs to
      expect(viewer.text()).not.toContain('evil.example');
    }
  });

  it('a late viewer gets the last `capacity` entries; Last-Event-ID from this process skips what it has', async () => {
    const { ws, view } = await start({ capacity: 2 });
    for (let n = 1; n <= 3; n++) await attempt(`${ws}/chat`, ['chat.v9'], {});
    const late = await view();
    await late.next((frame) => frame.event === 'live');
    expect(late.frames.map((frame) => frame.event)).toEqual(['hello', 'message', 'message', 'live']);
    expect(entries(late).map((entry) => entry.seq)).toEqual([2, 3]);
    const boot = JSON.parse(late.frames[0]!.data!).boot;
    expect(late.frames[2]!.id).toBe(`${boot}-3`);

    const resumed = await view('', { 'Last-Event-ID': `${boot}-2` });
    await resumed.next((frame) => frame.event === 'live');
    expect(entries(resumed).map((entry) => entry.seq)).toEqual([3]);
    // An id from another process (a restarted server): everything it has.
    const restarted = await view('', { 'Last-Event-ID': `${boot === '00000000' ? '11111111' : '00000000'}-2` });
    await restarted.next((frame) => frame.event === 'live');
    expect(entries(restarted).map((entry) => entry.seq)).toEqual([2, 3]);
  });

  it('beyond maxViewers: 503 with Retry-After; a viewer that leaves frees its place', async () => {
    const { view } = await start({ maxViewers: 1 });
    const first = await view();
    await first.next((frame) => frame.event === 'live');
    const refused = await view();
    expect([refused.status, refused.headers['retry-after']]).toEqual([503, '5']);
    await refused.ended;
    first.close();
    await first.ended;
    await expect.poll(() => log!.viewers).toBe(0);
    const next = await view();
    expect(next.status).toBe(200);
  });

  it('beyond maxViewersPerClient: 429 for that client alone; another client still gets a place', async () => {
    const { view } = await start({ maxViewers: 10, maxViewersPerClient: 2 });
    const mine = [await view(), await view()];
    expect(mine.map((viewer) => viewer.status)).toEqual([200, 200]);
    const refused = await view();
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '5']);
    await refused.ended;
    // Loopback is 127.0.0.0/8: another address is another client.
    const other = await view('', {}, '127.0.0.2');
    expect(other.status).toBe(200);
    mine[0]!.close();
    await mine[0]!.ended;
    await expect.poll(() => log!.viewers).toBe(2);
    expect((await view()).status).toBe(200);
  });

  it('lets go of a viewer that stops reading, rather than buffering for it without end', async () => {
    const { base } = await start({ capacity: 1, maxBufferedBytes: 4096 });
    // A raw client that sends the request and never reads: the kernel's buffers fill, then the server's.
    const { port } = new URL(base);
    const stalled = net.connect(Number(port), '127.0.0.1');
    stalled.pause();
    stalled.write('GET /gate-log HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await expect.poll(() => log!.viewers).toBe(1);
    const event = { outcome: 'reject', code: 'NO_SUBPROTOCOL', status: 400, route: '/chat', transport: 'http/1.1' };
    let recorded = 0;
    while (log!.viewers === 1 && recorded < 1_000_000) {
      for (let i = 0; i < 1000; i++)
        log!.record({ ...event, durationMs: recorded++, request: { url: '/chat' } } as never);
      await new Promise((done) => setImmediate(done));
    }
    expect(log!.viewers).toBe(0);
    stalled.destroy();
  });

  it('sends a heartbeat comment while idle; close() ends every stream, so the server can close', async () => {
    const { view } = await start({ heartbeatMs: 20 });
    const viewer = await view();
    await viewer.next((frame) => frame.comment === 'heartbeat');
    log!.close();
    await viewer.ended;
    expect(log!.viewers).toBe(0);
    await new Promise((done) => server!.close(done)); // no connection holds it open
  });
});

describe('slowRoute', () => {
  it("outlasts the route's deadline: 503 HANDSHAKE_TIMEOUT, logged for /slow, the handler never called", async () => {
    const { base, ws, view, slowHandlerCalled } = await start();
    const viewer = await view(`?viewer=${key}`);
    expect(await attempt(`${ws}/slow?attempt=${key}.9`, [], { Origin: base })).toBe('503 HANDSHAKE_TIMEOUT');
    const frame = await viewer.next((each) => each.event === 'message');
    expect(JSON.parse(frame.data!)).toMatchObject({
      outcome: 'reject',
      code: 'HANDSHAKE_TIMEOUT',
      status: 503,
      route: '/slow',
      mine: true,
      attempt: 9,
    });
    expect(JSON.parse(frame.data!).ms).toBeGreaterThanOrEqual(slowRoute.handshakeTimeout! - 1);
    expect(slowHandlerCalled()).toBe(false);
  });
});
