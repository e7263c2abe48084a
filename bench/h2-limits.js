// What one HTTP/2 client can hold of a gate (issue #24), measured on the core's attach, Koa and Fastify over
// node:http2 with TLS, in one process (run `pnpm build` first):
//
//   node bench/h2-limits.js zero-window [core|koa|fastify] [streams=1100] [deadlineMs=1000]
//     a client announces a zero flow-control window (RFC 9113 §6.9) and sends `streams` extended CONNECTs to a
//     route whose auth answers 401; then a well-behaved client opens a WebSocket, before and after the deadline.
//   node bench/h2-limits.js vanish [core|koa|fastify] [clients=60] [pingMs=300, -1: the gate's default]
//     `clients` refused clients and one accepted on a quotaPerIp(1) route go silent behind a relay (no FIN, no
//     reset); two seconds later: descriptors, sessions, connections, and what the next client gets.
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { createGate, quotaPerIp } from '@wsgate/core';
import { wsgate } from '@wsgate/fastify';
import { koaGate } from '@wsgate/koa';
import Fastify from 'fastify';
import Koa from 'koa';
import { selfSignedCredentials } from '../examples/chat-page/tls.js';

const [mode = 'zero-window', kind = 'koa', countArg, msArg] = process.argv.slice(2);
const count = Number(countArg ?? (mode === 'vanish' ? 60 : 1100));
const ms = Number(msArg ?? (mode === 'vanish' ? 300 : 1000));
const sleep = (delay) => new Promise((resolve) => setTimeout(resolve, delay));
const fds = () => readdirSync('/proc/self/fd').length;

/** /auth: 401 without `x-user` (the app's middleware; the core's hook on attach); /chat: quotaPerIp(1). */
async function serve(options) {
  const credentials = await selfSignedCredentials();
  const quotas = [quotaPerIp(1)];
  const hello = (socket) => socket.send('hi');
  if (kind === 'fastify') {
    const app = Fastify({ http2: true, https: { ...credentials, allowHTTP1: true } });
    await app.register(wsgate, options);
    const preHandler = async (request, reply) => {
      if (!request.headers['x-user']) reply.code(401).send('login required');
    };
    app.get('/auth', { websocket: true, preHandler }, hello);
    app.get('/chat', { websocket: { quotas } }, hello);
    await app.ready();
    return { server: app.server, gate: app.wsgate };
  }
  if (kind === 'koa') {
    const app = new Koa();
    app.silent = true;
    const ws = koaGate(app, options);
    const routes = { '/auth': ws.route(hello), '/chat': ws.route({ quotas }, hello) };
    app.use(async (ctx, next) => {
      if (ctx.path === '/auth' && !ctx.get('x-user')) {
        ctx.status = 401;
        ctx.body = 'login required';
        return;
      }
      await (routes[ctx.path] ?? ((_ctx, then) => then()))(ctx, next);
    });
    const server = http2.createSecureServer({ ...credentials, allowHTTP1: true }, app.callback());
    ws.attach(server);
    return { server, gate: ws.gate };
  }
  const gate = createGate(options);
  gate.route('/auth', { onUpgrade: (up) => (up.request.headers['x-user'] ? {} : up.reject(401)) }, hello);
  gate.route('/chat', { quotas }, hello);
  const server = http2.createSecureServer({ ...credentials, allowHTTP1: true }, (_req, res) => res.end('ok'));
  gate.attach(server);
  return { server, gate };
}

const pingOption = mode === 'vanish' && ms >= 0 ? { http2PingInterval: ms } : {};
const timeoutOption = mode === 'zero-window' ? { handshakeTimeout: ms } : {};
const { server, gate } = await serve({ logRejections: false, ...pingOption, ...timeoutOption });
const sessions = new Set();
server.on('session', (session) => {
  sessions.add(session);
  session.once('close', () => sessions.delete(session));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();
const origin = `https://localhost:${port}`;

function connect(session, path, extra = {}) {
  const fields = { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path };
  const stream = session.request(
    { ...fields, ':authority': `localhost:${port}`, 'sec-websocket-version': '13', origin, ...extra },
    { endStream: false },
  );
  stream.on('error', () => {});
  return once(stream, 'response').then(([headers]) => `${headers[':status']} ${headers['wsgate-code'] ?? ''}`.trim());
}

async function wellBehaved(path, extra) {
  const session = http2.connect(origin, { rejectUnauthorized: false });
  session.on('error', () => {});
  const started = performance.now();
  const status = await connect(session, path, extra);
  session.destroy();
  return `${status} in ${(performance.now() - started).toFixed(0)} ms`;
}

const tally = (statuses) => {
  const counts = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return JSON.stringify(counts);
};

if (mode === 'zero-window') {
  const attacker = http2.connect(origin, { rejectUnauthorized: false, settings: { initialWindowSize: 0 } });
  attacker.on('error', () => {});
  await once(attacker, 'remoteSettings');
  const statuses = await Promise.all(Array.from({ length: count }, () => connect(attacker, '/auth')));
  console.log(`${kind}: ${count} CONNECTs from a zero-window client: ${tally(statuses)}; pending ${gate.pending}`);
  console.log(`${kind}: a well-behaved client now: ${await wellBehaved('/auth', { 'x-user': 'ada' })}`);
  await sleep(ms + 1_500);
  console.log(`${kind}: deadline + 1.5 s: pending ${gate.pending}`);
  console.log(`${kind}: a well-behaved client now: ${await wellBehaved('/auth', { 'x-user': 'ada' })}`);
} else {
  // The relay black-holes a connection once its answer is in: nothing passes either way, nothing is closed.
  const links = new Map();
  const relay = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    for (const socket of [down, up]) socket.on('error', () => {});
    down.pipe(up);
    up.pipe(down);
    links.set(down.remotePort, { down, up });
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const vanishing = async (path) => {
    const session = http2.connect(`https://localhost:${relay.address().port}`, { rejectUnauthorized: false });
    session.on('error', () => {});
    await once(session, 'connect');
    const status = await connect(session, path);
    const { down, up } = links.get(session.socket.localPort);
    down.unpipe(up);
    up.unpipe(down);
    down.pause();
    up.pause();
    return status;
  };
  await wellBehaved('/auth');
  await sleep(300);
  const before = fds();
  const statuses = [];
  for (let i = 0; i < count; i++) statuses.push(await vanishing('/auth'));
  const accepted = await vanishing('/chat');
  await sleep(2_000);
  const ping = ms >= 0 ? `${ms} ms` : 'default';
  console.log(`${kind} (ping ${ping}): ${count} refused ${tally(statuses)} + 1 accepted (${accepted}) went silent`);
  console.log(
    `${kind}: 2 s later, descriptors +${fds() - before} (${count + 1} clients x 3 of the clients and relay, +1 each the server still holds); server sessions ${sessions.size}; WebSockets ${gate.connections.size}`,
  );
  console.log(`${kind}: the next client on /chat (quotaPerIp 1): ${await wellBehaved('/chat')}`);
}
process.exit(0);
