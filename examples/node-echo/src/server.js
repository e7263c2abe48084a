// wsgate on plain node:http: one WebSocket endpoint (/echo) next to an ordinary page, and the same echo for
// clients that speak only the legacy draft-76 handshake (/legacy-echo: old embedded clients, set-top browsers).
// With TLS=1, HTTPS on the same PORT: HTTP/2 with HTTP/1.1 fallback, /echo over either (extended CONNECT or
// upgrade).
import http from 'node:http';
import { createGate, loopbackHosts } from '@wsgate/core';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import { closeServer, createHttp2Server, tlsCredentials, tlsRequested } from 'chat-page/tls';

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const page = `<!doctype html><meta charset="utf-8"><title>wsgate echo</title>
<p>protocol <b id="protocol">connecting…</b> · transport <b id="transport">connecting…</b></p><div id="log"></div>
<p>Clients that speak only the legacy draft-76 handshake (Sec-WebSocket-Key1/Key2): <code>/legacy-echo</code>, see the README.</p>
<form id="f"><input id="t" required autocomplete="off"> <button>Send</button></form>
<script>
const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo', ['echo.v1']);
const log = (text) => document.getElementById('log').append(Object.assign(document.createElement('div'), { textContent: text }));
socket.onopen = () => { document.getElementById('protocol').textContent = socket.protocol; };
socket.onmessage = (event) => {
  if (document.getElementById('transport').textContent === 'connecting…') document.getElementById('transport').textContent = event.data;
  else log('echo: ' + event.data);
};
document.getElementById('f').onsubmit = (event) => { event.preventDefault(); socket.send(document.getElementById('t').value); };
</script>`;

const handle = (request, response) => {
  if (request.url === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
  else if (request.url === '/health') response.end('ok');
  else if (request.url === '/metrics') serveMetrics(request, response);
  else response.writeHead(404).end('not found');
};
const tls = tlsRequested() ? await tlsCredentials() : undefined;
const server = tls ? createHttp2Server(tls, handle) : http.createServer(handle);

// Secure defaults: same-origin only, loopback Host names only (DNS rebinding), a 10 s deadline.
const gate = createGate({ hosts: host === '127.0.0.1' || host === 'localhost' ? loopbackHosts() : undefined });
const echo = (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
};
gate.route('/echo', { subprotocols: ['echo.v1'] }, (socket, { transport }) => {
  socket.send(transport); // first, the transport that carried it: h2 or http/1.1
  echo(socket);
});
// Draft-76 is insecure (no masking; an MD5 challenge is its only proof of a real client) and off unless a route
// lists it. Same Origin and Host rules as /echo; its socket carries text only (isBinary is always false here).
gate.route('/legacy-echo', { legacy: ['hixie-76'] }, echo);
gate.attach(server);

server.listen(port, host, () => {
  const address = server.address();
  console.log(`listening on ${tls ? 'https' : 'http'}://${host}:${address.port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await gate.close();
    await closeServer(server);
  });
}
