// The example chat's contract (docs/examples.md), shared so that every framework's example serves the same
// page and speaks the same messages; each example only shows its framework's wiring.
import { randomBytes } from 'node:crypto';
import { allowHosts } from '@wsgate/core';

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const layout = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto}#log{border:1px solid #ccc;height:16rem;overflow:auto;padding:.5rem}</style>
</head><body>${body}</body></html>`;

/** GET / when logged out. */
export function loginPage() {
  return layout(
    'wsgate chat — log in',
    `<h1>wsgate chat</h1>
<form method="post" action="/login"><label>Name <input name="name" required maxlength="32" autofocus></label>
<button>Log in</button></form>`,
  );
}

/**
 * GET / when logged in: opens ws(s)://<same host>/chat offering chat.v2 then chat.v1, and shows which transport
 * the server says carried it (`h2` or `http/1.1`).
 */
export function chatPage(user) {
  return layout(
    'wsgate chat',
    `<h1>wsgate chat</h1>
<p>Logged in as <b id="user">${escapeHtml(user)}</b> · protocol <b id="protocol">connecting…</b> · transport <b id="transport">connecting…</b> · <span id="status">connecting</span></p>
<div id="log"></div>
<form id="say"><input id="text" autocomplete="off" maxlength="500" required> <button>Send</button></form>
<form method="post" action="/logout"><button>Log out</button></form>
<script>
const log = document.getElementById('log');
const show = (text) => { const p = document.createElement('div'); p.textContent = text; log.append(p); log.scrollTop = log.scrollHeight; };
const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat', ['chat.v2', 'chat.v1']);
socket.onopen = () => { document.getElementById('protocol').textContent = socket.protocol; document.getElementById('status').textContent = 'connected'; };
socket.onclose = (event) => { document.getElementById('status').textContent = 'closed (' + event.code + ')'; };
socket.onerror = () => { document.getElementById('status').textContent = 'failed'; };
socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message.type === 'welcome') {
    show('welcome, ' + message.user + ' (' + message.protocol + ')');
    document.getElementById('transport').textContent = message.transport;
  }
  else if (message.type === 'message') show(message.user + ': ' + message.text);
  else show('error');
};
document.getElementById('say').onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById('text');
  socket.send(JSON.stringify({ type: 'say', text: input.value }));
  input.value = '';
};
</script>`,
  );
}

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

/** The examples' `onEvent`: one line on stderr per refused or aborted handshake, e.g. `wsgate reject ORIGIN_FORBIDDEN 403 /chat`. */
export function logHandshake(event) {
  if (event.outcome !== 'accept')
    console.error(`wsgate ${event.outcome} ${event.code} ${event.status ?? '-'} ${event.route ?? '-'}`);
}
