import type { AddressInfo } from 'node:net';
import { listenAddress } from 'chat-page';
import { createChat } from './app.js';

const { host, port } = listenAddress();
const app = createChat({ host });

// wsgate's app.listen attaches the WebSocket side to the server it creates.
const server = app.listen(port, host, (error?: Error) => {
  if (error) throw error;
  console.log(`listening on http://${host}:${(server.address() as AddressInfo).port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await app.wsgate.close({ timeout: 1000 }); // open chats get 1001 "going away"
    server.close();
    server.closeAllConnections();
  });
}
