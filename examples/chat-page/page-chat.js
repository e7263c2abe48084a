// The page's chat, run in the browser (the function's source is inlined into the page). It opens
// ws(s)://<this host>/chat offering chat.v2 then chat.v1. When that handshake is refused, the browser says only
// "close 1006"; the page asks its gate log what the server decided for this attempt, says why, and offers to
// log in again.

/** What a person can do about each refusal of the chat socket. */
export const chatAdvice = {
  REJECTED: 'the server no longer knows your session: log in again.',
  ORIGIN_FORBIDDEN: 'this page’s origin is not one the chat accepts.',
  HOST_FORBIDDEN: 'the server does not answer to this host name.',
  HANDSHAKE_TIMEOUT: 'the server took too long to decide.',
  SHUTTING_DOWN: 'the server is shutting down.',
};

/**
 * Why an open chat was closed, by close code (@wsgate/core's CloseCodes): 4000–4999 mean the session ended —
 * the page does not reconnect without a new login; 1001, 1006, 1012 and 1013 mean "reconnect elsewhere or later",
 * which it does after a short random delay (so that a drained server's clients do not all come back at once).
 */
export const closeAdvice = {
  4001: 'your session was closed: you logged out in another tab.',
  4002: 'your session expired.',
  1001: 'the server went away.',
  1012: 'the server is restarting.',
  1013: 'the server asked to try again later.',
};

/** `advice` is `chatAdvice`, passed in: the function's source runs in the page, without this module. */
export function chatClient(gateLog, advice) {
  const $ = (id) => document.getElementById(id);
  const me = $('user').textContent;
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  let socket;

  const setStatus = (text, kind = '') => {
    $('status').textContent = text;
    $('status').className = `pill ${kind}`;
    $('text').disabled = socket?.readyState !== WebSocket.OPEN;
  };
  const show = (className, name, text) => {
    const line = document.createElement('div');
    line.className = className;
    if (name !== undefined) {
      const who = document.createElement('span');
      who.className = 'name';
      who.textContent = name;
      const colon = document.createElement('span');
      colon.className = 'quiet'; // read out, copied, not shown: the name sits above the text
      colon.textContent = ': ';
      line.append(who, colon);
    }
    line.append(text);
    $('log').append(line);
    $('log').scrollTop = $('log').scrollHeight;
  };

  function refused(entry) {
    setStatus('refused', 'bad');
    $('facts').hidden = true; // no socket, so no subprotocol and no transport to show
    $('why').textContent = entry ? `refused: ${entry.status} ${entry.code}` : 'refused';
    $('advice').textContent = entry
      ? ` — ${advice[entry.code] ?? 'the gate said no.'}`
      : ' — the browser only says “close 1006”, and the gate log has no entry for it: is the server running?';
    $('refusal').hidden = false;
  }

  // A close after the socket opened: the session ended (4000–4999: say why, offer the login, never retry),
  // or the server is going (reconnect shortly), or a plain close.
  function ended(event) {
    const why = advice.closed[event.code];
    if (event.code >= 4000 && event.code <= 4999) {
      setStatus('session ended', 'bad');
      $('facts').hidden = true;
      $('why').textContent = `closed: ${event.code}`;
      $('advice').textContent = ` — ${why ?? event.reason ?? 'your session ended.'} Log in again to chat.`;
      $('refusal').hidden = false;
      show('note', undefined, why ?? `the server ended the session (${event.code})`);
      return;
    }
    if ([1001, 1006, 1012, 1013].includes(event.code)) {
      setStatus(`closed (${event.code}): reconnecting…`, 'warn');
      show('note', undefined, `${why ?? 'the connection was lost.'} Reconnecting…`);
      setTimeout(connect, 500 + Math.random() * 1500);
      return;
    }
    setStatus(`closed (${event.code})`);
  }

  function connect() {
    const attempt = gateLog.attempt('chat');
    const current = new WebSocket(`${scheme}${location.host}/chat?${attempt.query}`, ['chat.v2', 'chat.v1']);
    socket = current;
    let opened = false;
    $('refusal').hidden = true;
    $('facts').hidden = false;
    $('protocol').textContent = '…';
    $('transport').textContent = '…';
    setStatus('connecting');
    current.onopen = () => {
      opened = true;
      $('protocol').textContent = current.protocol;
      setStatus('connected', 'ok');
    };
    current.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'welcome') {
        // The server says which transport carried the socket: h2 (RFC 8441) or http/1.1.
        $('transport').textContent = message.transport ?? '?';
        show('note', undefined, `welcome, ${message.user} (${message.protocol})`);
      } else if (message.type === 'message') show(message.user === me ? 'msg own' : 'msg', message.user, message.text);
      else show('note', undefined, 'the server did not understand that message');
    };
    current.onclose = async (event) => {
      if (socket !== current) return;
      if (opened) return ended(event);
      setStatus('refused?', 'bad');
      refused(await gateLog.outcome(attempt.n, 5000));
    };
  }

  $('say').onsubmit = (event) => {
    event.preventDefault();
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'say', text: $('text').value }));
    $('text').value = '';
  };
  $('reconnect').onclick = () => {
    socket?.close(1000);
    connect();
  };
  connect();
}
