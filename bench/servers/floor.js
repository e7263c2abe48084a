// The floor: node:http 'upgrade' listener that computes the accept key and writes a 101, nothing else.
// No checks, no WebSocket object: the cost of Node's HTTP parser plus one SHA-1. Anything real is slower.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { listen } from './_harness.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const server = http.createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', (req, socket) => {
  const accept = createHash('sha1')
    .update(req.headers['sec-websocket-key'] + GUID)
    .digest('base64');
  socket.on('error', () => socket.destroy());
  socket.on('end', () => socket.destroy());
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  socket.resume(); // read (and drop) frames so the client's close is seen
});

await listen(server);
