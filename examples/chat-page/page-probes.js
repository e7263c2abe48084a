// The page's "try a refusal" buttons, run in the browser (the function's source is inlined into the page). Each
// opens a WebSocket the gate refuses, the way a browser really would, and puts what the browser saw (close 1006,
// nothing more) next to what the gate logged for it. Two of them need a second origin: a hidden frame from the
// other loopback name (localhost <-> 127.0.0.1) on the same port, served at /probe.

export function probesClient(gateLog) {
  const wsScheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const loopback = location.hostname === 'localhost' || location.hostname === '127.0.0.1';
  const otherName = location.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  const port = location.port ? `:${location.port}` : '';
  const otherOrigin = `${location.protocol}//${otherName}${port}`;
  const here = `${wsScheme}${location.host}`;
  const there = `${wsScheme}${otherName}${port}`;
  for (const node of document.querySelectorAll('.other-host')) node.textContent = otherName;

  /** Opens a socket from this page: `open <protocol>` (closed at once) or `close <code>`. */
  const direct = (url, protocols) =>
    new Promise((resolve) => {
      const socket = new WebSocket(url, protocols);
      let opened = false;
      socket.onopen = () => {
        opened = true;
        socket.close(1000);
      };
      socket.onclose = (event) => resolve(opened ? `open ${socket.protocol}` : `close ${event.code}`);
    });

  /** Opens a socket from a hidden frame on the other loopback name; the frame posts back what it saw. */
  const framed = (url, protocols) =>
    new Promise((resolve) => {
      const id = crypto.getRandomValues(new Uint32Array(2)).join('-'); // randomUUID needs a secure context
      const frame = document.createElement('iframe');
      const done = (saw) => {
        clearTimeout(timer);
        removeEventListener('message', onMessage);
        frame.remove();
        resolve(saw);
      };
      const onMessage = (event) => {
        if (event.origin === otherOrigin && event.data?.id === id) done(String(event.data.saw));
      };
      const timer = setTimeout(() => done('no answer from the frame'), 8000);
      addEventListener('message', onMessage);
      frame.hidden = true;
      frame.title = 'probe';
      frame.src = `${otherOrigin}/probe#${encodeURIComponent(JSON.stringify({ url, protocols, id, origin: location.origin }))}`;
      document.body.append(frame);
    });

  const probes = {
    origin: (query) => framed(`${here}/chat?${query}`, ['chat.v2']),
    session: (query) => framed(`${there}/chat?${query}`, ['chat.v2']),
    subprotocol: (query) => direct(`${here}/chat?${query}`, ['chat.v9']),
    slow: (query) => direct(`${here}/slow?${query}`, []),
  };

  for (const probe of document.querySelectorAll('.probe')) {
    const name = probe.dataset.probe;
    const button = probe.querySelector('button');
    const result = probe.querySelector('.result');
    const label = probe.querySelector('b').textContent.toLowerCase();
    if (!loopback && (name === 'origin' || name === 'session')) {
      button.disabled = true;
      result.textContent = 'needs the page on localhost or 127.0.0.1';
      continue;
    }
    button.onclick = async () => {
      button.disabled = true;
      result.className = 'result';
      result.textContent = 'waiting for the gate…';
      const attempt = gateLog.attempt(label);
      const [saw, entry] = await Promise.all([probes[name](attempt.query), gateLog.outcome(attempt.n, 8000)]);
      const said = document.createElement('b');
      said.textContent = !entry
        ? 'no entry'
        : entry.outcome === 'accept'
          ? `${entry.status} accepted`
          : `${entry.status} ${entry.code}`;
      const browser = document.createElement('span');
      browser.textContent = `browser: ${saw}`;
      const gate = document.createElement('span');
      gate.append('gate: ', said);
      const separator = document.createElement('span');
      separator.className = 'quiet';
      separator.textContent = ' · ';
      result.replaceChildren(browser, separator, gate);
      result.className = `result ${!entry || entry.outcome === 'accept' ? '' : entry.status >= 500 ? 'warn' : 'bad'}`;
      button.disabled = false;
    };
  }
}

/**
 * The /probe frame's script: opens the socket its parent asked for and posts back `open` or `close <code>`.
 * Only this demo's routes on a loopback name and this port, and only back to a loopback page on this port:
 * the frame is no gadget for other sites (which, being cross-site, would get no cookie through it anyway).
 */
export function probeFrameClient() {
  const loopback = (url, schemes) =>
    schemes.includes(url.protocol) &&
    (url.hostname === 'localhost' || url.hostname === '127.0.0.1') &&
    url.port === location.port;
  let request;
  try {
    request = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch {}
  const target = URL.canParse(request?.url) ? new URL(request.url) : undefined;
  const origin = URL.canParse(request?.origin) ? new URL(request.origin) : undefined;
  const allowed =
    target !== undefined &&
    origin !== undefined &&
    loopback(target, ['ws:', 'wss:']) &&
    ['/chat', '/slow'].includes(target.pathname) &&
    loopback(origin, ['http:', 'https:']) &&
    origin.origin === request.origin &&
    Array.isArray(request.protocols) &&
    request.protocols.every((protocol) => typeof protocol === 'string');
  if (!allowed) return;
  const socket = new WebSocket(target.href, request.protocols);
  let opened = false;
  socket.onopen = () => {
    opened = true;
    socket.close(1000);
  };
  socket.onclose = (event) =>
    parent.postMessage({ id: request.id, saw: opened ? 'open' : `close ${event.code}` }, request.origin);
}
