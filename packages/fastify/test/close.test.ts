// fastify.close(): new handshakes get 503 SHUTTING_DOWN, open connections are closed with 1001 and awaited
// within the plugin's closeTimeout, stragglers terminated.
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  closed,
  eventually,
  gate,
  handshakeRequest,
  open,
  parseResponse,
  rawConnection,
  refused,
  serve,
} from './helpers.js';

afterEach(cleanup);

/** The first close frame in `bytes` after a 101 head: its status code. */
function closeCode(bytes: Buffer): number | undefined {
  const head = bytes.indexOf('\r\n\r\n');
  const frames = bytes.subarray(head + 4);
  if (frames.length < 4 || frames[0] !== 0x88) return undefined;
  return frames.readUInt16BE(2);
}

describe('fastify.close()', () => {
  it('closes open connections with 1001 and resolves once they are gone', async () => {
    const { app, url, origin } = await serve((app) => {
      app.get('/ws', { websocket: true }, () => {});
    });
    const a = await open(`${url}/ws`, { origin });
    const b = await open(`${url}/ws`, { origin });
    expect(app.wsgate.connections.size).toBe(2);
    const codes = Promise.all([closed(a), closed(b)]);
    await app.close();
    expect((await codes).map((c) => c.code)).toEqual([1001, 1001]);
    expect(app.wsgate.connections.size).toBe(0);
  });

  it('refuses new handshakes with 503 SHUTTING_DOWN while it waits, then terminates stragglers', async () => {
    const events: string[] = [];
    const { app, port, url, origin } = await serve(
      (app) => {
        app.get('/ws', { websocket: true }, () => {});
      },
      {
        plugin: {
          closeTimeout: 400,
          onEvent: (event) => event.outcome !== 'close' && events.push(`${event.outcome} ${event.code}`),
        },
      },
    );
    // A client that never answers the close frame keeps close() waiting until its deadline.
    const straggler = rawConnection(port);
    straggler.socket.write(handshakeRequest(port, '/ws'));
    await eventually(() => app.wsgate.connections.size === 1);

    let closedApp = false;
    const closing = app.close().then(() => {
      closedApp = true;
    });
    await eventually(() => closeCode(straggler.received()) !== undefined);
    expect(closeCode(straggler.received())).toBe(1001);

    const refusal = await refused(`${url}/ws`, { origin });
    expect(refusal.status).toBe(503);
    expect(refusal.headers['retry-after']).toBe('1');
    expect(events).toContain('reject SHUTTING_DOWN');
    expect(closedApp).toBe(false);

    await straggler.ended; // terminated at the deadline
    await closing;
    await eventually(() => app.wsgate.connections.size === 0);
    expect(parseResponse(straggler.received(), false).status).toBe(101);
  });

  it('a handshake still in a Fastify hook when close() starts gets 503', async () => {
    const held = gate();
    let reached = 0;
    let preClosed = false;
    const { app, url, origin } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: true,
          preHandler: async () => {
            reached++;
            await held.promise;
          },
        },
        () => {},
      );
      app.addHook('preClose', (done) => {
        preClosed = true; // runs after the plugin's, which was registered first
        done();
      });
    });
    const result = refused(`${url}/ws`, { origin });
    await eventually(() => reached === 1);
    const closing = app.close();
    await eventually(() => preClosed);
    held.release();
    expect((await result).status).toBe(503);
    await closing;
  });

  it('a handshake still in onUpgrade when close() starts gets 503 SHUTTING_DOWN, never a 101', async () => {
    const held = gate<string>();
    let reached = 0;
    let calls = 0;
    const { app, url, origin } = await serve((app) => {
      app.get(
        '/ws',
        {
          websocket: {
            onUpgrade: async () => {
              reached++;
              return held.promise;
            },
          },
        },
        () => void calls++,
      );
    });
    const answer = refused(`${url}/ws`, { origin });
    await eventually(() => reached === 1);
    const closing = app.close();
    // Let preClose run before the hook finishes.
    await new Promise((resolve) => setTimeout(resolve, 20));
    held.release('late');
    expect((await answer).status).toBe(503);
    await closing;
    expect(calls).toBe(0);
  });
});
