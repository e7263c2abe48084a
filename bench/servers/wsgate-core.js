// @wsgate/core on node:http with its default policies (same-origin Origin, Host, fetch metadata,
// deadline, pending cap) and no application work, like raw ws.
import http from 'node:http';
import { createGate } from '@wsgate/core';
import { listen } from './_harness.js';

const server = http.createServer((_req, res) => res.writeHead(426).end());
createGate({ maxPending: 4096 })
  .route('/ws', {}, (ws) => {
    ws.on('error', () => {});
  })
  .attach(server);

await listen(server);
