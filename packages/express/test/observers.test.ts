// What an app's response observers (request loggers: on-finished, morgan) see of a WebSocket route, and
// that an app answering after the core did never crashes the process.
import { describe, expect, it } from 'vitest';
import { wsgate } from '../src/index.js';
import { expectOpen, expectRefused, serve, versions } from './helpers.js';

describe.each(versions)('%s: response observers', (_name, express) => {
  it('a finish observer sees the 101 of an accepted handshake and the status of a refusal', async () => {
    const seen: number[] = [];
    const app = wsgate(express(), { hosts: ['127.0.0.1:*'] });
    app.use((_req, res, next) => {
      res.on('finish', () => seen.push(res.statusCode));
      next();
    });
    app.ws('/ws', (socket) => socket.close());
    const { url, origin } = await serve(app);
    await expectOpen(url('/ws'), { headers: { Origin: origin } });
    await expectRefused(url('/ws'), { headers: { Origin: 'http://evil.example' } });
    expect(seen).toEqual([101, 403]);
  });

  it('a slow middleware that lets the handshake through after the deadline: observers see the 503', async () => {
    const seen: number[] = [];
    const app = wsgate(express(), { handshakeTimeout: 100 });
    app.use((_req, res, next) => {
      res.on('finish', () => seen.push(res.statusCode));
      next();
    });
    let handled = 0;
    app.ws(
      '/slow',
      (_req, _res, next) => void setTimeout(next, 300),
      () => void handled++,
    );
    const { url } = await serve(app);
    expect((await expectRefused(url('/slow'))).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen).toEqual([503]);
    expect(handled).toBe(0);
  });

  it('a middleware that answers after the deadline writes nowhere and throws nothing', async () => {
    let late: Promise<boolean> | undefined;
    const app = wsgate(express(), { handshakeTimeout: 100 });
    app.ws(
      '/late',
      (_req, res) => {
        late = new Promise((resolve) =>
          setTimeout(() => {
            res.status(401).json({ error: 'late' });
            resolve(res.writableEnded);
          }, 300),
        );
      },
      () => {},
    );
    const { url } = await serve(app);
    const refusal = await expectRefused(url('/late'));
    expect([refusal.status, refusal.body]).toEqual([503, '503 Service Unavailable: HANDSHAKE_TIMEOUT\n']);
    expect(await late).toBe(true);
  });
});
