// The TLS load generator for bench/tls.js, a child process: WebSocket handshakes over TLS to 127.0.0.1, by
// hand, no WebSocket client library. Modes (what one handshake is):
//   h1          a new TLS connection (ALPN http/1.1), the RFC 6455 upgrade; 101 and Sec-WebSocket-Accept checked
//   h2-new      a new TLS connection (ALPN h2), its SETTINGS (extended CONNECT allowed), a CONNECT; 200 checked
//   h2-worker   a CONNECT on the worker's own HTTP/2 connection, opened before the clock starts
//   h2-shared   a CONNECT on one HTTP/2 connection shared by every worker (a browser's one per origin)
// Then the socket or connection is closed; a stream is ended in order (END_STREAM, and the server's ws ends its
// side in turn). Not with RST_STREAM: Node's HTTP/2 server answers a burst of about a thousand client resets on
// one connection with GOAWAY (its defence against "rapid reset", CVE-2023-44487). TLS sessions are never resumed.
//
// IPC: { type: 'prepare', id, mode, port, concurrency } -> { type: 'prepared', id }   (opens h2-worker and
//      h2-shared connections, so that neither their TLS handshakes nor their clock count in the run)
//      { type: 'run', id, mode, port, concurrency, count } -> { type: 'result', id, ok, failed, elapsedMs,
//      handshakesPerSec, p50Ms, p99Ms, errors }
//      { type: 'release', id } -> { type: 'released', id }   (closes the prepared connections)

import { createHash, randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import tls from 'node:tls';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HOST = '127.0.0.1';
const TIMEOUT_MS = 10_000;
const TLS_OPTIONS = { host: HOST, servername: 'localhost', rejectUnauthorized: false };

function h1Handshake(port) {
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  const request =
    `GET /ws HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://${HOST}:${port}\r\nCookie: sid=abc\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = tls.connect({ ...TLS_OPTIONS, port, ALPNProtocols: ['http/1.1'] }, () => socket.write(request));
    let head = '';
    const finish = (error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(() => finish('timeout'), TIMEOUT_MS);
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      head += chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = head.slice(0, end).split('\r\n');
      if (!lines[0].startsWith('HTTP/1.1 101')) return finish(lines[0].slice(0, 40));
      const accepts = lines.filter((line) => /^sec-websocket-accept:/i.test(line)).map((line) => line.slice(21).trim());
      finish(accepts.length === 1 && accepts[0] === accept ? null : 'wrong Sec-WebSocket-Accept');
    });
    socket.on('error', (error) => finish(error.code ?? error.message));
    socket.on('close', () => finish('closed'));
  });
}

function h2Session(port) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://${HOST}:${port}`, { ...TLS_OPTIONS, port });
    session.on('error', () => {});
    session.once('remoteSettings', (settings) =>
      settings.enableConnectProtocol ? resolve(session) : reject(new Error('no extended CONNECT')),
    );
    session.once('close', () => reject(new Error('closed')));
  });
}

function h2Handshake(session, port) {
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'https',
      ':path': '/ws',
      ':authority': `${HOST}:${port}`,
      'sec-websocket-version': '13',
      origin: `https://${HOST}:${port}`,
      cookie: 'sid=abc',
    });
    const finish = (error) => {
      clearTimeout(timer);
      if (error === null) stream.end();
      else if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      stream.resume();
      resolve(error);
    };
    const timer = setTimeout(() => finish('timeout'), TIMEOUT_MS);
    stream.on('error', () => {});
    stream.once('response', (headers) => finish(headers[':status'] === 200 ? null : `status ${headers[':status']}`));
    stream.once('close', () => finish(`closed before a response, ${stream.rstCode}`));
  });
}

async function h2NewHandshake(port) {
  let session;
  try {
    session = await h2Session(port);
    return await h2Handshake(session, port);
  } catch (error) {
    return error.message;
  } finally {
    session?.destroy();
  }
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] : null;

/** Connections opened by 'prepare': one per worker (h2-worker), one for all (h2-shared), none otherwise. */
let prepared = [];

async function prepare({ mode, port, concurrency }) {
  const n = mode === 'h2-worker' ? concurrency : mode === 'h2-shared' ? 1 : 0;
  prepared = await Promise.all(Array.from({ length: n }, () => h2Session(port)));
}

async function release() {
  await Promise.all(
    prepared.map((session) => (session.destroyed ? undefined : new Promise((resolve) => session.close(resolve)))),
  );
  prepared = [];
}

async function run({ mode, port, concurrency, count }) {
  const workers = Math.min(concurrency, count);
  const once = (w) =>
    mode === 'h1'
      ? h1Handshake(port)
      : mode === 'h2-new'
        ? h2NewHandshake(port)
        : h2Handshake(prepared[w % prepared.length], port);
  const latencies = [];
  const errors = new Map();
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next < count) {
        next++;
        const t0 = process.hrtime.bigint();
        const error = await once(w);
        if (error) errors.set(error, (errors.get(error) ?? 0) + 1);
        else latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  latencies.sort((a, b) => a - b);
  return {
    ok: latencies.length,
    failed: count - latencies.length,
    elapsedMs,
    handshakesPerSec: (latencies.length / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors: Object.fromEntries(errors),
  };
}

process.on('message', async (msg) => {
  try {
    if (msg?.type === 'prepare') {
      await prepare(msg);
      process.send({ type: 'prepared', id: msg.id });
    } else if (msg?.type === 'release') {
      await release();
      process.send({ type: 'released', id: msg.id });
    } else if (msg?.type === 'run') {
      process.send({ type: 'result', id: msg.id, ...(await run(msg)) });
    }
  } catch (error) {
    process.send({ type: msg.type === 'run' ? 'result' : `${msg.type}d`, id: msg.id, error: error.message });
  }
});
process.on('disconnect', () => process.exit(0));
