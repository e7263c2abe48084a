// @wsgate/core on one node:http2 server over TLS with HTTP/1.1 fallback: WebSockets over HTTP/2 extended
// CONNECT (RFC 8441) and over HTTP/1.1 upgrades on the same port, default policies, no application work.
// For bench/tls.js: the key and certificate come in TLS_KEY_PEM / TLS_CERT_PEM, and it answers
// { type: 'stats' } with its CPU time and what the gate still holds.
import http2 from 'node:http2';
import { createGate } from '@wsgate/core';
import { listen } from './_harness.js';

const server = http2.createSecureServer(
  { key: process.env.TLS_KEY_PEM, cert: process.env.TLS_CERT_PEM, allowHTTP1: true },
  (_req, res) => res.writeHead(404).end(),
);
const gate = createGate({ maxPending: 4096 });
gate.route('/ws', {}, (ws) => {
  ws.on('error', () => {});
});
gate.attach(server);

process.on('message', (msg) => {
  if (msg?.type !== 'stats') return;
  const { user, system } = process.cpuUsage();
  process.send({ type: 'stats', cpuUs: user + system, connections: gate.connections.size, pending: gate.pending });
});

await listen(server);
