// Wiring mistakes a newcomer makes, each detected where it is made and explained in words that say what to do.

import http from 'node:http';
import express from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import { wsgate } from '../src/index.js';
import { expectOpen, expectRefused, nextMessage, serve } from './helpers.js';

// A module of routes, as an app splits them: it runs when imported, before the app calls wsgate(app).
const chat = express.Router();
chat.ws('/:room', (socket, req) => socket.send(`joined ${req.params.room}`));

describe('wiring mistakes, explained', () => {
  it('app.ws before wsgate(app): a TypeError that says to call wsgate(app) first', () => {
    const app = express();
    // As JavaScript runs it: TypeScript already says "Property 'ws' does not exist on type 'Express'".
    const js = app as unknown as { ws(path: string, handler: () => void): unknown };
    expect(() => js.ws('/chat', () => {})).toThrow(TypeError);
    expect(() => js.ws('/chat', () => {})).toThrow(/wsgate\(app\).*const app = wsgate\(express\(\)\)/);
    // wsgate(app) then gives the app its own ws.
    expect(() => wsgate(app).ws('/chat', () => {})).not.toThrow();
  });

  it('router.ws in a module of routes declared before any wsgate(app) works once an app serves it', async () => {
    const app = wsgate(express());
    app.use('/rooms', chat);
    const { url } = await serve(app);
    const socket = await expectOpen(url('/rooms/lobby'));
    expect(await nextMessage(socket)).toBe('joined lobby');
  });

  it('router.ws before any wsgate(app) still checks its options and handler where it is declared', () => {
    const router = express.Router();
    expect(() => router.ws('/x', { subprotocols: 'chat' as never }, () => {})).toThrow(
      /option "subprotocols" must be an array/,
    );
    expect(() => (router.ws as (...args: unknown[]) => unknown)('/x', {})).toThrow(/router\.ws\(path/);
  });

  it.each([
    ['Express 5', express],
    ['Express 4', express4 as unknown as typeof express],
  ])('%s: a path without a leading "/" never matches a request: a TypeError names it', (_name, version) => {
    const app = wsgate(version());
    expect(() => app.ws('chat', () => {})).toThrow(
      'wsgate: app.ws(path, ...): a path starts with "/" (or is a RegExp), got "chat"',
    );
    expect(() => version.Router().ws(['/ok', 'rooms/:id'], () => {})).toThrow(/router\.ws.*got "rooms\/:id"/);
    expect(() => app.ws(/^\/re/, () => {})).not.toThrow();
  });

  // Before the test below: the warning is said once per process, so this one must come first to be able to fail.
  it('Upgrade: websocket without the upgrade connection option, on an attached app: 426 and no warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const app = wsgate(express());
      app.ws('/chat', () => {});
      const { port } = await serve(app);
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
      expect(warn.mock.calls.filter(([message]) => String(message).includes('not attached'))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it('a WebSocket route on a server wsgate is not attached to: 426 NOT_AN_UPGRADE and one warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const app = wsgate(express());
      app.ws('/chat', () => {});
      // node:http's own server around the app, never attached: the upgrade arrives as a plain request.
      const { createServer } = await import('node:http');
      const server = createServer(app).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const port = (server.address() as { port: number }).port;
      try {
        for (let i = 0; i < 2; i++) {
          const refused = await expectRefused(`ws://127.0.0.1:${port}/chat`);
          expect([refused.status, refused.headers['wsgate-code']]).toEqual([426, 'NOT_AN_UPGRADE']);
        }
      } finally {
        server.closeAllConnections();
        server.close();
      }
      const warnings = warn.mock.calls.filter(([message]) => String(message).includes('not attached'));
      expect(warnings).toEqual([[expect.stringContaining('call app.wsgate.attach(server)')]]);
    } finally {
      warn.mockRestore();
    }
  });
});
