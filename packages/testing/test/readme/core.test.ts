// echo.test.ts — a core gate on a node:http server, tested through the server: no listen(), no port.
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { afterEach, expect, it } from 'vitest';
import { closeAll, connect, expectHandshake, handshake, nextMessage } from '../../src/index.js';

// Your server, as src/server.ts would build it (without its listen()).
function buildServer() {
  const gate = createGate().route(
    '/echo',
    {
      subprotocols: ['echo.v1'],
      onUpgrade: (up) => up.cookies.sid ?? up.reject(401, { error: 'login required' }),
    },
    (socket, { context }) => {
      socket.send(`hello ${context}`);
      socket.on('message', (data, binary) => socket.send(data, { binary }));
    },
  );
  const server = createServer((req, res) => {
    if (gate.handleRequest(req, res)) return; // a plain GET /echo: 426
    if (req.url === '/') res.end('hello');
    else res.writeHead(404).end('not found');
  });
  gate.attach(server);
  return server;
}

afterEach(closeAll);

it('echoes, with the negotiated subprotocol', async () => {
  const socket = await connect(buildServer(), '/echo', { cookies: { sid: 'ada' }, protocols: ['echo.v1'] });
  expect([socket.protocol, await nextMessage(socket)]).toEqual(['echo.v1', 'hello ada']);
  socket.send('ping');
  expect(await nextMessage(socket)).toBe('ping');
});

it('refuses what the gate refuses, with the whole response to look at', async () => {
  const server = buildServer();
  await expectHandshake(server, '/echo').toBeRefused(401, { error: 'login required' });
  await expectHandshake(server, '/nowhere').toBeRefused(404);
  const response = await handshake(server, '/echo', { origin: 'https://evil.example', cookies: { sid: 'ada' } });
  expect([response.status, response.code]).toEqual([403, 'ORIGIN_FORBIDDEN']);
});
