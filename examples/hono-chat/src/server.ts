import type http from 'node:http';
import type http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { listenAddress } from 'chat-page';
import { closeServer, createHttp2Server, tlsCredentials, tlsRequested } from 'chat-page/tls';
import { createChat } from './app.js';

const { host, port } = listenAddress();
const { app, ws } = createChat({ host });
// TLS=1: node-server's HTTP/2 (its `createServer` option: http2.createSecureServer with HTTP/1.1 fallback, as
// the examples make it) on one port; ws.attach takes extended CONNECT and upgrades alike.
const tls = tlsRequested() ? await tlsCredentials() : undefined;
const createSecureServer = ((_options: unknown, listener: Parameters<typeof createHttp2Server>[1]) =>
  createHttp2Server(tls!, listener)) as unknown as typeof http2.createSecureServer;
const server = ws.attach(
  (tls
    ? createAdaptorServer({ fetch: app.fetch, createServer: createSecureServer })
    : createAdaptorServer({ fetch: app.fetch })) as http.Server | http2.Http2SecureServer,
);

server.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(`listening on ${tls ? 'https' : 'http'}://${host}:${address.port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    // Open chats close in batches with 1012 "service restart" (the page reconnects); new handshakes get 503.
    await ws.gate.drain({ batchSize: 100, intervalMs: 200, deadlineMs: 2_000 });
    await closeServer(server);
  });
}
