import type { Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { listenAddress } from 'chat-page';
import { closeServer, tlsCredentials, tlsRequested } from 'chat-page/tls';
import { createChat } from './app.js';

const { host, port } = listenAddress();
const app = createChat({ host });
const tls = tlsRequested() ? await tlsCredentials() : undefined;

let server: Server;
if (tls) {
  // Express cannot run on Node's HTTP/2 compatibility API (see @wsgate/express's README): with TLS=1 it is
  // HTTPS over HTTP/1.1 only, and its WebSockets are wss:// upgrades.
  server = app.wsgate.attach(https.createServer(tls, app));
  server.listen(port, host, () => {
    const address = server.address() as AddressInfo;
    console.log(`listening on https://${host}:${address.port} (HTTP/1.1 only: Express does not run on HTTP/2)`);
  });
} else {
  // wsgate's app.listen attaches the WebSocket side to the server it creates.
  server = app.listen(port, host, (error?: Error) => {
    if (error) throw error;
    console.log(`listening on http://${host}:${(server.address() as AddressInfo).port}`);
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    // Open chats close in batches with 1012 "service restart" (the page reconnects); new handshakes get 503.
    await app.wsgate.gate.drain({ batchSize: 100, intervalMs: 200, deadlineMs: 2_000 });
    await closeServer(server);
  });
}
