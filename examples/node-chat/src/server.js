// The example chat on plain node:http — or, with TLS=1, node:http2 with HTTP/1.1 fallback, where one wss://
// endpoint takes HTTP/2 extended CONNECT and HTTP/1.1 upgrades: the session check is the gate's onUpgrade hook
// either way. Sessions live on the server (chat-page/sessions); each chat socket belongs to its user and session
// (the route's `keys`), so logging out destroys the session and closes that session's sockets in every tab
// (`gate.revoke`), and a replayed cookie finds no session (401).
import http from 'node:http';
import { createGate, signCookie, unsignCookie } from '@wsgate/core';
import { chatPage, createRoom, exampleHosts, listenAddress, logHandshake, loginPage, sessionSecret } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { createSessionStore, SESSION_SECONDS } from 'chat-page/sessions';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import { closeServer, createHttp2Server, tlsCredentials, tlsRequested } from 'chat-page/tls';
import { parseCookie, stringifySetCookie } from 'cookie';

const secret = sessionSecret();
const { host, port } = listenAddress();
const room = createRoom();
const sessions = createSessionStore();
const gateLog = createGateLog(); // the demo page's live log of every handshake decision
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => gateLog.close()); // open streams hold the server

const gate = createGate({
  hosts: exampleHosts(host),
  cookieSecret: secret, // up.signedCookies: the cookies whose signature verifies
  onEvent: (event) => {
    logHandshake(event);
    gateLog.record(event);
  },
});
gate.route(
  '/chat',
  {
    subprotocols: ['chat.v2', 'chat.v1'],
    requireSubprotocol: true,
    onUpgrade: (up) => {
      const session = up.signedCookies.sid;
      const user = sessions.user(session);
      return user ? { user, session } : up.reject(401, { error: 'login required' });
    },
    keys: ({ user, session }) => ({ user, session }), // the keys `gate.revoke` closes a connection by
  },
  (socket, { context, protocol, transport }) => room.join(socket, context.user, protocol, transport),
);
// The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
gate.route('/slow', slowRoute, (socket) => socket.close());

const tls = tlsRequested() ? await tlsCredentials() : undefined;
// The session cookie `sid`: the session's id, signed with the secret (cookie-parser's format, as the gate reads it).
const sessionCookie = (value, maxAge) =>
  stringifySetCookie({ name: 'sid', value, maxAge, path: '/', httpOnly: true, sameSite: 'lax', secure: Boolean(tls) });
const handle = async (request, response) => {
  if (gate.handleRequest(request, response)) return; // plain GET /chat -> 426
  const path = request.url?.split('?')[0];
  if (request.method === 'GET' && path === '/health') return response.end('ok');
  if (request.method === 'GET' && path === '/gate-log') return gateLog.stream(request, response);
  if (request.method === 'GET' && path === '/metrics') return serveMetrics(request, response);
  if (request.method === 'GET' && path === '/probe') {
    return response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(probePage());
  }
  if (request.method === 'GET' && path === '/') {
    const user = sessions.user(sessionId(request));
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return response.end(user ? chatPage(user) : loginPage());
  }
  if (request.method === 'POST' && path === '/login') {
    const name = new URLSearchParams(await readBody(request)).get('name')?.trim().slice(0, 32);
    if (!name) return response.writeHead(400).end('name required');
    const previous = sessionId(request);
    if (previous !== undefined) sessions.destroy(previous); // a login replaces the session it came with
    const cookie = sessionCookie(signCookie(sessions.create(name), secret), SESSION_SECONDS);
    return response.writeHead(303, { Location: '/', 'Set-Cookie': cookie }).end();
  }
  if (request.method === 'POST' && path === '/logout') {
    const id = sessionId(request);
    if (id !== undefined) {
      sessions.destroy(id); // a replayed cookie now gets 401
      gate.revoke({ session: id }, { reason: 'you logged out in another tab' }); // its sockets, in every tab
    }
    return response.writeHead(303, { Location: '/', 'Set-Cookie': sessionCookie('', 0) }).end();
  }
  response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
};
const server = tls ? createHttp2Server(tls, handle) : http.createServer(handle);
gate.attach(server); // before listen: an HTTP/2 server then advertises WebSockets over HTTP/2

/** The session id in the request's cookie, if its signature verifies (the gate's hook reads it the same way). */
function sessionId(request) {
  const sid = parseCookie(request.headers.cookie ?? '').sid;
  return (sid && unsignCookie(sid, [secret])) || undefined;
}

async function readBody(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 4096) break;
  }
  return body;
}

server.listen(port, host, () =>
  console.log(`listening on ${tls ? 'https' : 'http'}://${host}:${server.address().port}`),
);
// Open chats close in batches with 1012 "service restart" (the page reconnects); new handshakes get 503.
const drain = () => gate.drain({ batchSize: 100, intervalMs: 200, deadlineMs: 2_000 });
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => drain().then(() => closeServer(server)));
