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
  // Open chats get 1001 "going away", new handshakes 503; the process then exits on its own.
  process.once(signal, () => void app.close());
}
