// The chat page after a drain, in Chromium: a deploy drains the old process (1012 Service Restart) while a new
// one takes the same address, and the page reconnects to it on its own, with no new login. Two gates on one
// port stand in for the two processes behind a load balancer: the old one drains, the new one answers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate } from '@wsgate/core';
import { chatPage, createRoom } from 'chat-page';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, waitForText } from './browser.js';
import { chromiumMissing } from './requirements.js';

describe.skipIf(chromiumMissing !== undefined)('the chat page across a drain (Chromium)', () => {
  let browser: Browser;
  let server: http.Server;
  let url: string;
  const gates: Gate[] = [];
  let current: Gate;
  const accepted: string[] = []; // which gate took each connection, in order

  /** A gate as a process of the app would have, its chat route labelled with the gate's name. */
  function startGate(name: string): Gate {
    const room = createRoom();
    const gate = createGate(); // same-origin by default: the page is served from this origin
    gate.route('/chat', { subprotocols: ['chat.v2', 'chat.v1'] }, (socket) => {
      accepted.push(name);
      room.join(socket, 'ada', socket.protocol, 'http/1.1');
    });
    gates.push(gate);
    return gate;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    server = http.createServer((request, response) => {
      if (request.url === '/') response.writeHead(200, { 'Content-Type': 'text/html' }).end(chatPage('ada'));
      else response.writeHead(404).end();
    });
    server.on('upgrade', (request, socket, head) => current.handleUpgrade(request, socket, head));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const gate of gates) await gate.close();
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
    await browser?.close();
  });

  it('reconnects after 1012 to the process that took over, and says why it went', async () => {
    current = startGate('old');
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    await waitForText(page, '#status', 'connected');

    current = startGate('new'); // the new process is up; the old one drains
    const draining = gates[0]!.drain({ batchSize: 10, intervalMs: 100, deadlineMs: 5_000 });
    await waitForText(page, '#status', /^closed \(1012\): reconnecting/);
    await waitForText(page, '#log', /the server is restarting\. Reconnecting…/);
    await draining;
    await waitForText(page, '#status', 'connected', 5_000);
    expect(accepted).toEqual(['old', 'new']);
    await page.close();
  });
});
