// The page's gate log, run in the browser (the function's source is inlined into the page): the timeline of
// every handshake decision the server streams from GET /gate-log, and the attempts this page made itself.
// A browser's WebSocket hides a refused handshake's status (the page sees close 1006), so each attempt carries
// `?attempt=<this page's key>.<n>`, and the server tags the entry for it, for this page's stream alone.

/** Returns `{ attempt(label), outcome(attempt, timeoutMs) }` for the chat and the probes. */
export function gateLogClient() {
  const list = document.getElementById('gate-log');
  const live = document.getElementById('live');
  const counts = document.getElementById('counts');
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const key = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  const labels = new Map(); // attempt number -> what made it ("chat", "another origin"...)
  const logged = new Map(); // attempt number -> its entry
  const waiting = new Map(); // attempt number -> resolve
  const tally = { accepted: 0, refused: 0, dropped: 0, closed: 0 };
  let attempts = 0;
  let boot;

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const kindOf = (entry) =>
    entry.outcome === 'close'
      ? 'closed'
      : entry.outcome === 'accept'
        ? 'ok'
        : entry.outcome === 'abort'
          ? 'gone'
          : entry.status >= 500
            ? 'warn'
            : 'bad';

  function render(entry, fresh) {
    const item = element('li', `entry ${kindOf(entry)}${fresh ? ' fresh' : ''}`);
    item.dataset.outcome = entry.outcome;
    item.dataset.code = entry.outcome === 'close' ? `CLOSED_${entry.cause.toUpperCase()}` : (entry.code ?? 'ACCEPTED');
    const meta = element('span', 'meta');
    meta.append(element('span', 'route', entry.route ?? '(no route)'), element('span', 'badge', entry.transport));
    if (entry.mine) meta.append(element('span', 'mine', `you · ${labels.get(entry.attempt) ?? 'this page'}`));
    const time = element('time', '', new Date(entry.at).toLocaleTimeString([], { hour12: false }));
    time.dateTime = new Date(entry.at).toISOString();
    meta.append(time);
    item.append(
      element(
        'span',
        'status',
        entry.outcome === 'abort' ? '—' : String((entry.outcome === 'close' ? entry.closeCode : entry.status) ?? ''),
      ),
      element(
        'span',
        'code',
        entry.outcome === 'close'
          ? `closed: ${entry.cause}`
          : entry.outcome === 'accept'
            ? 'accepted'
            : (entry.code ?? entry.outcome),
      ),
      // A close's time is how long the connection lived.
      element('span', 'ms', entry.ms === null ? '' : lifetimeText(entry)),
      meta,
    );
    list.querySelector('.empty')?.remove();
    list.prepend(item);
    while (list.children.length > 200) list.lastElementChild.remove();
  }

  const lifetimeText = (entry) =>
    entry.outcome === 'close' && entry.ms >= 1000 ? `${(entry.ms / 1000).toFixed(1)} s` : `${entry.ms.toFixed(1)} ms`;

  function add(entry, fresh) {
    render(entry, fresh);
    tally[{ accept: 'accepted', reject: 'refused', abort: 'dropped', close: 'closed' }[entry.outcome]]++;
    counts.textContent = `${tally.accepted} accepted · ${tally.refused} refused${tally.dropped ? ` · ${tally.dropped} dropped` : ''}${tally.closed ? ` · ${tally.closed} closed` : ''}`;
    // An attempt's outcome is its handshake's; its close comes later and settles nothing.
    if (!entry.mine || entry.outcome === 'close') return;
    logged.set(entry.attempt, entry);
    waiting.get(entry.attempt)?.(entry);
  }

  // Entries replayed on connecting are history; the ones after the server's `live` event are highlighted.
  let replaying = true;
  const source = new EventSource(`/gate-log?viewer=${key}`);
  source.addEventListener('hello', (event) => {
    const next = JSON.parse(event.data).boot;
    if (boot !== undefined && next !== boot) list.prepend(element('li', 'divider', '— the server restarted —'));
    boot = next;
    replaying = true;
  });
  source.addEventListener('live', () => {
    replaying = false;
    live.className = 'live on';
    live.textContent = 'live';
  });
  source.onmessage = (event) => add(JSON.parse(event.data), !replaying);
  source.onerror = () => {
    live.className = 'live';
    live.textContent = 'reconnecting…';
  };

  return {
    /** A new attempt by this page: its number, and the query that tags its handshake in the log. */
    attempt(label) {
      const n = ++attempts;
      labels.set(n, label);
      return { n, query: `attempt=${key}.${n}` };
    },
    /** The gate's entry for attempt `n`, once logged; undefined if none arrives within `timeoutMs`. */
    outcome(n, timeoutMs) {
      if (logged.has(n)) return Promise.resolve(logged.get(n));
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(undefined), timeoutMs);
        const settle = (entry) => {
          clearTimeout(timer);
          waiting.delete(n);
          resolve(entry);
        };
        waiting.set(n, settle);
      });
    },
  };
}
