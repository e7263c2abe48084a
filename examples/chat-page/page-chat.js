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
      if (opened) return setStatus(`closed (${event.code})`);
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
