// TLS for the examples. With TLS=1 an example serves HTTPS on the same PORT: HTTP/2 with HTTP/1.1 fallback
// (ALPN h2, http/1.1), and WebSockets over both. The certificate is TLS_CERT and TLS_KEY (PEM files) when
// given, else a self-signed one for localhost and 127.0.0.1 made at start-up with selfsigned (Node's own
// WebCrypto: a machine with only Node and npm has everything it needs; openssl is not assumed).
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import selfsigned from 'selfsigned';

/** Whether TLS=1 (or true) asks for HTTPS. */
export function tlsRequested(env = process.env) {
  return env.TLS === '1' || env.TLS === 'true';
}

/** `{ key, cert }` for the server: TLS_CERT and TLS_KEY, or a self-signed certificate made now. */
export async function tlsCredentials(env = process.env) {
  if (env.TLS_CERT || env.TLS_KEY) {
    if (!env.TLS_CERT || !env.TLS_KEY) throw new Error('TLS_CERT and TLS_KEY go together: set both (PEM files)');
    const [cert, key] = await Promise.all([readFile(env.TLS_CERT), readFile(env.TLS_KEY)]);
    return { key, cert };
  }
  console.warn(
    'TLS_CERT and TLS_KEY are not set: serving a self-signed certificate for localhost and 127.0.0.1, made at start-up (browsers will ask before trusting it)',
  );
  return selfSignedCredentials();
}

/** `{ key, cert }` in PEM: a self-signed certificate for localhost, 127.0.0.1 and ::1, made now. */
export async function selfSignedCredentials() {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', // P-256: fast to make (RSA 2048 takes ~0.5 s)
    algorithm: 'sha256', // selfsigned's default is sha1
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000), // a development certificate
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/**
 * The HTTP/2 settings @wsgate/core's README advises ("HTTP/2 limits"): at most 100 streams at once on one
 * connection (RFC 9113 §6.5.2's floor; Node's default is 2^32 - 1), so that one client cannot queue thousands
 * of answers it does not read.
 */
export const HTTP2_SETTINGS = Object.freeze({ maxConcurrentStreams: 100 });

/**
 * HTTPS with HTTP/2 and HTTP/1.1 fallback: a node:http2 server with allowHTTP1 and HTTP2_SETTINGS, `handler`
 * for ordinary requests. Attach the WebSocket side before it listens (it then advertises extended CONNECT, RFC 8441 §3).
 */
export function createHttp2Server(credentials, handler) {
  const server = http2.createSecureServer({ ...credentials, allowHTTP1: true, settings: HTTP2_SETTINGS }, handler);
  const sessions = new Set();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  sessionsOf.set(server, sessions);
  return server;
}

const sessionsOf = new WeakMap();

/**
 * Closes a server (node:http, https or http2) and the connections it holds open, so that the process exits:
 * idle HTTP/1.1 keep-alive connections, and HTTP/2 connections gracefully (GOAWAY: requests in flight finish),
 * destroyed after `graceMs` if a client keeps one open. Node 20's `server.close()` closes no HTTP/2 connection.
 * Close the WebSockets first (the gate's or adapter's `close()`).
 */
export function closeServer(server, graceMs = 1000) {
  const closed = new Promise((resolve) => server.close(() => resolve()));
  server.closeAllConnections?.();
  const sessions = sessionsOf.get(server) ?? new Set();
  for (const session of sessions) session.close();
  if (sessions.size > 0) {
    const timer = setTimeout(() => {
      for (const session of sessions) session.destroy();
    }, graceMs);
    timer.unref();
  }
  return closed;
}
