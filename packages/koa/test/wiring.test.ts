// Wiring mistakes a newcomer makes with Koa, each detected and explained in words that say what to do.

import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { koaGate } from '../src/index.js';
import { accepted, cleanup, koaVersions, refused } from './helpers.js';

afterEach(cleanup);

describe.each(koaVersions)('%s: wiring mistakes, explained', (_name, Koa) => {
  it('app.listen() without ws.attach(...): 426 NOT_AN_UPGRADE, and one warning that says to attach', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = new Koa();
    const ws = koaGate(app);
    app.use(ws.route((socket) => socket.send('hello')));
    const server: Server = app.listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const path of ['/chat', '/chat']) {
        const answer = await refused(`${url}${path}`);
        expect([answer.status, answer.headers['wsgate-code'], answer.body]).toEqual([
          426,
          'NOT_AN_UPGRADE',
          '426 Upgrade Required: NOT_AN_UPGRADE\n',
        ]);
      }
      expect(warn.mock.calls).toEqual([
        [
          'wsgate: a WebSocket upgrade reached /chat on a server this KoaGate is not attached to (none yet); ' +
            'call ws.attach(server), e.g. ws.attach(app.listen(3000))',
        ],
      ]);
      // The fix the warning gives.
      ws.attach(server);
      await accepted(`${url}/chat`);
    } finally {
      warn.mockRestore();
      await ws.close({ timeout: 100 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('Upgrade: websocket without the upgrade connection option, on an attached server: 426 and no warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = new Koa();
    const ws = koaGate(app);
    app.use(ws.route((socket) => socket.send('hello')));
    const server: Server = ws.attach(app.listen(0, '127.0.0.1'));
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      // An ordinary request to Node (RFC 9110 §7.8: Upgrade means nothing without Connection: upgrade).
      const status = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/chat', headers: { Upgrade: 'websocket' } }, (response) => {
            response.resume();
            resolve(response.statusCode);
          })
          .on('error', reject);
      });
      expect(status).toBe(426);
      expect(warn.mock.calls).toEqual([]);
    } finally {
      warn.mockRestore();
      await ws.close({ timeout: 100 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
