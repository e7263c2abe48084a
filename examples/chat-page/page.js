// The demo's pages: the login form, the chat with its live gate log, and the /probe frame. Everything is inline
// (no external resource), and each page carries a Content-Security-Policy that allows exactly its own style and
// scripts, by hash (CSP Level 3 §2.3.1), so no other script can run on it.
import { createHash } from 'node:crypto';
import { chatAdvice, chatClient, closeAdvice } from './page-chat.js';
import { gateLogClient } from './page-gate-log.js';
import { probeFrameClient, probesClient } from './page-probes.js';
import { pageStyle } from './page-style.js';
import { SLOW_ROUTE_TIMEOUT_MS } from './slow-route.js';

export const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const hash = (text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const loopbackOrigins = (schemes) =>
  schemes.flatMap((scheme) => [`${scheme}://localhost:*`, `${scheme}://127.0.0.1:*`]).join(' ');

/** A page's head and body; `policy` is its CSP beyond the defaults (nothing but its own style and scripts). */
function html({ title, body, scripts = [], policy = {} }) {
  const csp = Object.entries({
    'default-src': "'none'",
    'style-src': hash(pageStyle),
    'script-src': scripts.length === 0 ? "'none'" : scripts.map(hash).join(' '),
    'form-action': "'self'",
    'base-uri': "'none'",
    ...policy,
  })
    .map(([directive, value]) => `${directive} ${value}`)
    .join('; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${title}</title><style>${pageStyle}</style></head>
<body>${body}${scripts.map((script) => `<script>${script}</script>`).join('')}</body></html>`;
}

/** GET / when logged out. */
export function loginPage() {
  return html({
    title: 'wsgate demo — log in',
    body: `<main class="login"><h1>wsgate demo</h1>
<p>A chat whose WebSocket handshakes go through wsgate, with a live log of every decision the gate makes.</p>
<form method="post" action="/login"><input name="name" required maxlength="32" autofocus placeholder="Your name" aria-label="Name">
<button class="primary">Log in</button></form></main>`,
  });
}

// The scripts are fixed text (nothing from a request goes in them), so their hashes are computed once.
const chatScript = `(() => {
  const gateLog = (${gateLogClient})();
  (${chatClient})(gateLog, ${JSON.stringify({ ...chatAdvice, closed: closeAdvice })});
  (${probesClient})(gateLog);
})();`;

const probes = [
  [
    'origin',
    'Another origin',
    'a frame on <span class="other-host">localhost</span> opens this page’s <code>/chat</code>',
  ],
  [
    'session',
    'No session',
    'a frame on <span class="other-host">localhost</span> opens its own <code>/chat</code>, without your cookie',
  ],
  ['subprotocol', 'Unknown subprotocol', "<code>new WebSocket(url, ['chat.v9'])</code>"],
  ['slow', 'Slow hook', `<code>/slow</code>’s hook outlasts its ${SLOW_ROUTE_TIMEOUT_MS / 1000} s deadline`],
];

/** GET / when logged in: the chat (ws(s)://<same host>/chat offering chat.v2 then chat.v1) and the gate log. */
export function chatPage(user) {
  return html({
    title: 'wsgate demo',
    scripts: [chatScript],
    policy: {
      // 'self' covers this origin's ws: and wss: too (CSP Level 3 §6.7.2.9); the frames are the probes'.
      'connect-src': "'self'",
      'frame-src': loopbackOrigins(['http', 'https']),
    },
    body: `<header class="top"><p class="brand">wsgate <span>demo</span></p>
<span class="who">logged in as <b id="user">${escapeHtml(user)}</b></span>
<form method="post" action="/logout"><button>Log out</button></form></header>
<main class="grid">
<section class="panel" aria-labelledby="chat-title">
<div class="head"><h2 id="chat-title">Chat</h2><span id="facts" class="facts" title="subprotocol, and the transport that carried the socket"><b id="protocol">…</b> over <b id="transport">…</b></span>
<span id="status" class="pill">connecting</span><button id="reconnect" type="button" title="Open the chat socket again (log out in another tab first, and see it refused)">Reconnect</button></div>
<div id="refusal" class="refusal" role="alert" hidden><p><b id="why"></b><span id="advice"></span></p>
<form method="post" action="/logout"><button class="primary">Log in again</button></form></div>
<div id="log" aria-live="polite"></div>
<form id="say" class="say"><input id="text" autocomplete="off" maxlength="500" required placeholder="Say something" aria-label="Message">
<button class="primary">Send</button></form>
</section>
<section class="panel" aria-labelledby="gate-title">
<div class="head"><h2 id="gate-title">Gate log</h2><span id="counts" class="facts"></span><span id="live" class="live">connecting…</span></div>
<p class="intro">Every WebSocket handshake this server decides, as it happens: <b>you</b> marks this page’s own; other
people’s show the decision and nothing of theirs. A refused socket only tells the browser “close 1006”; the gate
knows why. The same decisions, counted: <a href="/metrics">/metrics</a> (Prometheus). Try one it refuses:</p>
<div class="probes">${probes
      .map(
        ([name, title, what]) =>
          `<div class="probe" data-probe="${name}"><button type="button"><b>${title}</b><small>${what}</small></button><span class="result" aria-live="polite"></span></div>`,
      )
      .join('')}</div>
<ol id="gate-log" aria-label="handshake decisions, newest first"><li class="empty">No handshake yet.</li></ol>
</section>
</main>`,
  });
}

const probeScript = `(${probeFrameClient})();`;

/** GET /probe: the frame that the "another origin" and "no session" buttons load from the other loopback name. */
export function probePage() {
  return html({
    title: 'wsgate demo — probe',
    scripts: [probeScript],
    policy: { 'connect-src': loopbackOrigins(['ws', 'wss']) },
    body: '<p>This frame opens one WebSocket for the demo page that embeds it.</p>',
  });
}
