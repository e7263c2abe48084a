import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenAddress } from 'chat-page';
import { createChat } from './app.js';

const { host, port } = listenAddress();
const { app, ws } = createChat({ host });
const server = ws.attach(createServer(app.callback()));

server.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(`listening on http://${host}:${address.port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await ws.close();
    server.close();
    server.closeAllConnections();
  });
}
