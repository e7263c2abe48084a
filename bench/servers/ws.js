// Raw ws: WebSocketServer({ noServer: true }) + handleUpgrade, as in ws's README
// ("Multiple servers sharing a single HTTP/S server"). No application checks.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { listen } from './_harness.js';

const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
});

const server = http.createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

await listen(server);
