// Express cannot serve Node's HTTP/2 compatibility API (see src/http1-only.ts). On a node:http2 server with
// allowHTTP1, `http1Only(app)` keeps HTTP/2 requests away from it (RST_STREAM HTTP_1_1_REQUIRED, on which
// browsers retry over HTTP/1.1), and WebSocket upgrades over HTTP/1.1 go through the app's middleware as
// on any server. Nothing advertises extended CONNECT: there is no HTTP/2 route to take it.
import { once } from 'node:events';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testCredentials } from '../../../test/h2/cert.js';
import { openSession } from '../../../test/h2/client.js';
import { http1Only, wsgate } from '../src/index.js';
import { onCleanup, versions } from './helpers.js';

describe.each(versions)('%s behind http1Only on an HTTP/2 server', (_name, express) => {
  it('HTTP/2 requests get HTTP_1_1_REQUIRED, the process lives; HTTP/1.1 requests and upgrades reach the app', async () => {
    const app = wsgate(express());
    app.get('/hello', (_req, res) => void res.json({ ok: true }));
    app.ws(
      '/chat',
      (req, res, next) =>
        req.headers.authorization === 'Bearer ok' ? next() : void res.status(401).json({ error: 'no' }),
      (socket, req) => socket.send(`hello over ${req.httpVersion}`),
    );
    const server = http2.createSecureServer({ ...(await testCredentials()), allowHTTP1: true }, http1Only(app));
    app.wsgate.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    onCleanup(async () => {
      await app.wsgate.close({ timeout: 200 });
      await new Promise((resolve) => server.close(resolve));
    });

    const session = await openSession(`https://localhost:${port}`);
    onCleanup(() => void session.destroy());
    expect(session.remoteSettings.enableConnectProtocol).toBe(false);
    const h2 = session.request({ ':path': '/hello' });
    h2.on('error', () => {}); // the reset is an 'error' on the client's stream
    await new Promise((resolve) => h2.once('close', resolve));
    expect(h2.rstCode).toBe(http2.constants.NGHTTP2_HTTP_1_1_REQUIRED);

    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://localhost:${port}/hello`, { rejectUnauthorized: false, agent: false }, (response) => {
          let text = '';
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(body)).toEqual({ ok: true });

    const refused = new WebSocket(`wss://localhost:${port}/chat`, { rejectUnauthorized: false });
    refused.on('error', () => {}); // terminated before it opened, as meant
    const [, response] = await once(refused, 'unexpected-response');
    expect(response.statusCode).toBe(401);
    refused.terminate();
    const socket = new WebSocket(`wss://localhost:${port}/chat`, {
      rejectUnauthorized: false,
      headers: { authorization: 'Bearer ok' },
    });
    const [message] = await once(socket, 'message');
    expect(String(message)).toBe('hello over 1.1');
    socket.close();
    await once(socket, 'close');
  });
});

describe('http1Only', () => {
  it('checks its argument', () => {
    expect(() => http1Only(undefined as never)).toThrow(TypeError);
  });
});
