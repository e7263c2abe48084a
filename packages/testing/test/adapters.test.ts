// Each adapter (Express 5, Koa 3, Fastify 5, the core on node:http), accepted and refused through the kit,
// with no port: the same app on each (./apps.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { openCount } from '../src/cleanup.js';
import {
  closeAll,
  connect,
  expectHandshake,
  handshake,
  httpRequest,
  nextMessage,
  sendJson,
  whenClosed,
} from '../src/index.js';
import { type Fixture, fixtures } from './apps.js';
import { until } from './raw.js';

let fixture: Fixture;

afterEach(async () => {
  await closeAll();
  await fixture.close();
});

describe.each(fixtures)('$name', ({ create }) => {
  it('opens for a logged-in client with the preferred protocol; the welcome sent with the 101 is not lost', async () => {
    fixture = await create();
    const socket = await expectHandshake(fixture.target, '/chat')
      .withCookie('sid', 'ada')
      .withProtocols(['chat.v1', 'chat.v2'])
      .toOpen({ protocol: 'chat.v2' });
    expect(await nextMessage(socket)).toEqual({ type: 'welcome', user: 'ada', protocol: 'chat.v2' });
    await sendJson(socket, { type: 'say', text: 'hi' });
    expect(await nextMessage(socket)).toEqual({ type: 'echo', data: '{"type":"say","text":"hi"}' });
    expect(fixture.received).toEqual(['{"type":"say","text":"hi"}']);
    expect(fixture.events.map((event) => event.outcome)).toEqual(['accept']);
  });

  it('is refused by the app without a session: 401 with its JSON body', async () => {
    fixture = await create();
    const response = await expectHandshake(fixture.target, '/chat')
      .withProtocols('chat.v2')
      .toBeRefused(401, { error: 'login required' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(fixture.events.map((event) => [event.outcome, event.code, event.status])).toEqual([
      ['reject', 'REJECTED', 401],
    ]);
    const error = await connect(fixture.target, '/chat', { protocols: 'chat.v2' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'WSGATE_HANDSHAKE_REFUSED',
      status: 401,
      response: { status: 401, body: '{"error":"login required"}' },
    });
  });

  it('is refused by the core: another Origin 403, no common subprotocol 400, cookies without Origin 403', async () => {
    fixture = await create();
    const ada = expectHandshake(fixture.target, '/chat').withCookie('sid', 'ada').withProtocols('chat.v2');
    await ada.withOrigin('http://evil.example').toBeRefused(403, { code: 'ORIGIN_FORBIDDEN' });
    await ada.withProtocols('chat.v3').toBeRefused(400, { code: 'NO_SUBPROTOCOL' });
    await ada.withOrigin(null).toBeRefused(403, { code: 'ORIGIN_FORBIDDEN' });
    expect(fixture.events.map((event) => event.code)).toEqual([
      'ORIGIN_FORBIDDEN',
      'NO_SUBPROTOCOL',
      'ORIGIN_FORBIDDEN',
    ]);
  });

  it('the defaults (Host: localhost, same-origin Origin) pass the default policies; an explicit Host does too', async () => {
    fixture = await create();
    const response = await handshake(fixture.target, '/chat', { cookies: { sid: 'ada' }, protocols: 'chat.v1' });
    expect(response).toMatchObject({ status: 101, protocol: 'chat.v1', code: undefined, body: '' });
    expect(response.request.headers).toContainEqual(['Host', 'localhost']);
    expect(response.request.headers).toContainEqual(['Origin', 'http://localhost']);
    const named = await handshake(fixture.target, '/chat?room=1', {
      host: 'chat.example:8443',
      cookies: { sid: 'ada' },
      protocols: 'chat.v1',
    });
    expect(named.status).toBe(101);
    expect(named.request.headers).toContainEqual(['Origin', 'http://chat.example:8443']);
    expect(openCount()).toBe(0); // handshake() closed both sockets
  });

  it('an upgrade to a path without a WebSocket route is not a 101', async () => {
    fixture = await create();
    const response = await expectHandshake(fixture.target, '/nowhere').toBeRefused(404);
    expect(response.status).toBe(404);
  });

  it('plain HTTP through the same server: GET /health is 200, a plain GET /chat is 426', async () => {
    fixture = await create();
    const health = await httpRequest(fixture.target, 'GET', '/health');
    expect([health.status, health.body]).toEqual([200, 'ok']);
    const plain = await httpRequest(fixture.target, 'GET', '/chat');
    expect(plain.status).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
  });

  it('a client that hangs up is gone on the server too; the app’s close() closes an open one with 1001', async () => {
    fixture = await create();
    const gate = fixture.gate;
    const options = { cookies: { sid: 'ada' }, protocols: 'chat.v2' };
    const hangsUp = await connect(fixture.target, '/chat', options);
    expect(gate.connections.size).toBe(1);
    hangsUp.terminate();
    await until(() => gate.connections.size === 0, 'the gate to see the hang-up');
    const closed = whenClosed(await connect(fixture.target, '/chat', options));
    await fixture.close();
    expect(await closed).toMatchObject({ code: 1001 });
  });

  it('a refusal over TCP is the same as in memory', async () => {
    fixture = await create();
    const memory = await handshake(fixture.target, '/chat', { protocols: 'chat.v2' });
    const tcp = await handshake(fixture.target, '/chat', { protocols: 'chat.v2', transport: 'tcp' });
    expect(withoutDate(tcp)).toEqual(withoutDate(memory));
  });
});

/** The response minus the headers that vary from one request to the next. */
function withoutDate(response: { status: number; body: string; rawHeaders: readonly string[] }) {
  const headers: string[] = [];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i] ?? '';
    if (!/^(date|keep-alive)$/i.test(name)) headers.push(`${name}: ${response.rawHeaders[i + 1]}`);
  }
  return { status: response.status, body: response.body, headers };
}
