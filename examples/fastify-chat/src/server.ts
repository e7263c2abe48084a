import type { AddressInfo } from 'node:net';
import { listenAddress } from 'chat-page';
import { createChat } from './app.js';

const { host, port } = listenAddress();
const { app } = await createChat({ host });
await app.listen({ host, port });
console.log(`listening on http://${host}:${(app.server.address() as AddressInfo).port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Open chats get 1001 "going away", new handshakes 503; the process then exits on its own.
  process.once(signal, () => void app.close());
}
