import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenAddress } from 'chat-page';
import { closeServer, createHttp2Server, tlsCredentials, tlsRequested } from 'chat-page/tls';
import { createChat } from './app.js';

const { host, port } = listenAddress();
const { app, ws } = createChat({ host });
// TLS=1: HTTP/2 with HTTP/1.1 fallback on one port; ws.attach takes extended CONNECT and upgrades alike.
const tls = tlsRequested() ? await tlsCredentials() : undefined;
const server = ws.attach(tls ? createHttp2Server(tls, app.callback()) : createServer(app.callback()));

server.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(`listening on ${tls ? 'https' : 'http'}://${host}:${address.port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    // Open chats close in batches with 1012 "service restart" (the page reconnects); new handshakes get 503.
    await ws.gate.drain({ batchSize: 100, intervalMs: 200, deadlineMs: 2_000 });
    await ws.close();
    await closeServer(server);
  });
}
