import type { AddressInfo } from 'node:net';
import { listenAddress } from 'chat-page';
import { tlsCredentials, tlsRequested } from 'chat-page/tls';
import { createChat } from './app.js';

const { host, port } = listenAddress();
// TLS=1: HTTP/2 with HTTP/1.1 fallback on one port; the plugin takes extended CONNECT and upgrades alike.
const tls = tlsRequested() ? await tlsCredentials() : undefined;
const { app } = await createChat({ host, tls });
await app.listen({ host, port });
console.log(`listening on ${tls ? 'https' : 'http'}://${host}:${(app.server.address() as AddressInfo).port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Open chats close in batches with 1012 "service restart" (the page reconnects), new handshakes get 503;
  // then the app closes, and the process exits on its own.
  process.once(signal, async () => {
    await app.wsgate.drain({ batchSize: 100, intervalMs: 200, deadlineMs: 2_000 });
    await app.close();
  });
}
