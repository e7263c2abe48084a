// The example chat's contract (docs/examples.md), shared so that every framework's example serves the same
// page and speaks the same messages; each example only shows its framework's wiring. The pages are page.js's;
// what only the demo adds (the gate log, /probe, /slow) is `chat-page/demo`.
import { randomBytes } from 'node:crypto';
import { allowHosts } from '@wsgate/core';

export { chatPage, loginPage } from './page.js';

/** The text of a valid `{"type":"say","text":T}` message, or undefined for anything else. */
export function parseSay(data) {
  try {
    const message = JSON.parse(String(data));
    if (message && message.type === 'say' && typeof message.text === 'string' && message.text.length <= 10_000) {
      return message.text;
    }
  } catch {}
  return undefined;
}

/**
 * One chat room: welcome on join, broadcast on say, {"type":"error"} for anything malformed.
 * `join(socket, user, protocol, transport)` wires a ws WebSocket into the room; the welcome tells the page the
 * transport that carried it (`h2`, `http/1.1`).
 */
export function createRoom() {
  const members = new Set();
  return {
    join(socket, user, protocol, transport) {
      members.add(socket);
      socket.on('close', () => members.delete(socket));
      socket.send(JSON.stringify({ type: 'welcome', user, protocol, transport }));
      socket.on('message', (data, isBinary) => {
        const text = isBinary ? undefined : parseSay(data);
        if (text === undefined) return socket.send(JSON.stringify({ type: 'error' }));
        const out = JSON.stringify({ type: 'message', user, text });
        for (const member of members) if (member.readyState === 1) member.send(out);
      });
    },
    get size() {
      return members.size;
    },
  };
}

/** Which transport carried a WebSocket, from its request: an HTTP/2 extended CONNECT (RFC 8441), or an HTTP/1.1 upgrade. */
export function transportOf(request) {
  return request.httpVersionMajor === 2 ? 'h2' : 'http/1.1';
}

/** The example's listen address, from HOST and PORT (defaults 127.0.0.1:3000). */
export function listenAddress(env = process.env) {
  return { host: env.HOST || '127.0.0.1', port: Number(env.PORT ?? 3000) };
}

/**
 * The example's Host policy (the DNS-rebinding defence): the listen address and localhost, on the port
 * actually listened on (known only after listen when PORT=0, hence the socket's local port), matched by the
 * library's own `allowHosts`, which folds case and canonicalises as browsers do.
 */
export function exampleHosts(listenHost) {
  const name = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  let port;
  let policy;
  return (host, request) => {
    const local = request.socket.localPort;
    if (local !== port) {
      port = local;
      policy = allowHosts([`${name}:${port}`, `localhost:${port}`]);
    }
    return policy(host, request);
  };
}

/**
 * The secret that signs sessions: SESSION_SECRET, or else a random one made at start-up (sessions then end
 * with the process). Never a fixed fallback: examples get copied into production, and a secret printed in a
 * public repository lets anyone forge any session. In production there is no fallback at all.
 */
export function sessionSecret(env = process.env) {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  if (env.NODE_ENV === 'production') {
    throw new Error('SESSION_SECRET is not set: it is required when NODE_ENV=production');
  }
  console.warn(
    'SESSION_SECRET is not set: sessions are signed with a random secret made at start-up, and end with this process',
  );
  return randomBytes(32).toString('hex');
}

/**
 * The examples' `onEvent`: one line on stderr per refused or aborted handshake, e.g. `wsgate reject
 * ORIGIN_FORBIDDEN 403 /chat`, and per connection the server closed, e.g. `wsgate close revoked 4001 /chat`.
 */
export function logHandshake(event) {
  if (event.outcome === 'close') {
    if (event.cause !== 'client') console.error(`wsgate close ${event.cause} ${event.closeCode} ${event.route}`);
  } else if (event.outcome !== 'accept')
    console.error(`wsgate ${event.outcome} ${event.code} ${event.status ?? '-'} ${event.route ?? '-'}`);
}
