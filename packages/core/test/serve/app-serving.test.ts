// The adapter SPI over real sockets, with the smallest framework there is: a request listener that routes by path
// and makes the calls an adapter makes (serveApp, upgradeOf, admit, accept, upgradeRequired). What each framework
// adds is tested in its package and in test/contract.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type AppServing,
  type AppUpgrade,
  defineRoute,
  isUnattachedUpgrade,
  serveApp,
  upgradeOf,
  upgradeRequired,
} from '../../src/adapter.js';
import { createGate, type HandshakeEvent } from '../../src/index.js';
import { handshakeRequest, rawExchange } from '../helpers.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** What the mini framework saw. */
interface Seen {
  upgrades: AppUpgrade[];
  unattached: boolean[];
  handled: string[];
  events: Array<[HandshakeEvent['outcome'], HandshakeEvent['code'], HandshakeEvent['status']]>;
  errors: unknown[];
}

function miniFramework() {
  const seen: Seen = { upgrades: [], unattached: [], handled: [], events: [], errors: [] };
  const gate = createGate({
    logRejections: false,
    onError: (error) => seen.errors.push(error),
    onEvent: (event) => event.outcome !== 'close' && seen.events.push([event.outcome, event.code, event.status]),
  });
  const route = defineRoute(gate, '/ws', {}, (socket, connection) => {
    seen.handled.push(connection.transport);
    socket.on('message', (data) => socket.send(String(data)));
  });
  // GET /ws: the WebSocket route; GET /answered: the same, after a "middleware" that answered; else 404.
  const app = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (request.url !== '/ws' && request.url !== '/answered') {
      response.writeHead(404).end();
      return;
    }
    const upgrade = upgradeOf(request);
    if (upgrade === undefined) {
      seen.unattached.push(isUnattachedUpgrade(request));
      const { status, headers, body } = upgradeRequired(request);
      response.writeHead(status, headers).end(body);
      return;
    }
    seen.upgrades.push(upgrade);
    const admitted = upgrade.admit(route);
    if (admitted === undefined || admitted instanceof Promise) return; // no async policy on this route
    if (request.url === '/answered')
      response.writeHead(403, { 'Content-Type': 'text/plain', 'Content-Length': '4' }).end('mine');
    expect(upgrade.accept(admitted)).toBeUndefined(); // synchronous: nothing on the way is async
  };
  return { gate, app, seen };
}

async function listen(server: http.Server): Promise<number> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function served(attach: (serving: AppServing, server: http.Server) => void = (s, server) => s.attach(server)) {
  const { gate, app, seen } = miniFramework();
  const serving = serveApp(gate, app as Parameters<typeof serveApp>[1]);
  const server = http.createServer(app);
  attach(serving, server);
  const port = await listen(server);
  return { serving, port, seen };
}

function open(port: number, path: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('serveApp, upgradeOf(req): admit, accept', () => {
  it('a handshake runs through the app and opens: one object per request, admitted and accepted once', async () => {
    const { port, seen, serving } = await served();
    const socket = await open(port, '/ws');
    socket.send('hi');
    const [reply] = await once(socket, 'message');
    expect(String(reply)).toBe('hi');
    socket.close();
    expect(serving.attached).toBe(true);
    expect(seen.upgrades.map((upgrade) => [upgrade.transport, upgrade.inFlight, upgrade.appResponded])).toEqual([
      ['http/1.1', false, false],
    ]);
    expect(seen.handled).toEqual(['http/1.1']);
    expect(seen.events).toEqual([['accept', undefined, 101]]);
  });

  it('admit refuses on the socket (Origin) and hands back nothing: the app writes nothing more', async () => {
    const { port, seen } = await served();
    const response = await rawExchange(port, handshakeRequest(port, { Origin: 'https://evil.example' }));
    expect([response.status, response.headers['wsgate-code'], response.closed]).toEqual([
      403,
      'ORIGIN_FORBIDDEN',
      true,
    ]);
    expect(seen.handled).toEqual([]);
  });

  it('a plain request has no upgrade: the app writes the core’s 426', async () => {
    const { port, seen } = await served();
    const response = await fetch(`http://127.0.0.1:${port}/ws`);
    expect([response.status, response.headers.get('upgrade')]).toEqual([426, 'websocket']);
    expect(seen.unattached).toEqual([false]);
  });

  it('the app answered and still reached accept: its answer stands, nothing thrown, no handler', async () => {
    const { port, seen } = await served();
    const response = await rawExchange(port, handshakeRequest(port, {}, 'GET /answered HTTP/1.1'));
    expect([response.status, response.body, response.closed]).toEqual([403, 'mine', true]);
    expect(seen.handled).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.events).toEqual([['reject', 'REJECTED', 403]]);
  });

  it('attaching a server twice changes nothing: one handshake per upgrade', async () => {
    const { port, seen } = await served((serving, server) => {
      serving.attach(server);
      serving.attach(server);
    });
    (await open(port, '/ws')).close();
    expect(seen.handled).toEqual(['http/1.1']);
  });

  it('attach checks its http2 option', async () => {
    const { serving } = await served(() => {});
    expect(serving.attached).toBe(false);
    expect(() => serving.attach(http.createServer(), { http2: 'yes' as unknown as boolean })).toThrow(
      new TypeError('wsgate: attach option "http2" must be a boolean, got string'),
    );
  });

  it('a WebSocket upgrade to a server never attached reaches the app as a plain request: isUnattachedUpgrade', async () => {
    const { app, seen } = miniFramework();
    const port = await listen(http.createServer(app));
    const response = await rawExchange(port, handshakeRequest(port), 200); // Node keeps this connection
    expect(response.status).toBe(426);
    expect(seen.unattached).toEqual([true]);
  });
});
