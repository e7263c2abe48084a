// wsgate-core with `telemetry: false`: the same server without the OpenTelemetry code path, for the paired
// pair core/telemetry-off. wsgate-core itself runs with telemetry on (its default) and @opentelemetry/api
// loaded but no SDK registered: the cost every application with the API and no SDK pays.
import http from 'node:http';
import { createGate } from '@wsgate/core';
import { listen } from './_harness.js';

const server = http.createServer((_req, res) => res.writeHead(426).end());
createGate({ maxPending: 4096, telemetry: false })
  .route('/ws', {}, (ws) => {
    ws.on('error', () => {});
  })
  .attach(server);

await listen(server);
