// crossws node adapter (crossws/adapters/node, which bundles its own copy of ws), minimal hooks.
import http from 'node:http';
import crossws from 'crossws/adapters/node';
import { listen } from './_harness.js';

const ws = crossws({
  hooks: {
    open() {},
    message() {},
    close() {},
    error() {},
  },
});

const server = http.createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  ws.handleUpgrade(req, socket, head);
});

await listen(server);
