// The demo's gate log: the last handshake decisions of this server, kept in memory and streamed to every open
// page as Server-Sent Events (HTML Living Standard §9.2). Fed by the gate's `onEvent`; served from any
// framework's route through the node:http request and response (Express's req/res, Koa's ctx.req/ctx.res,
// Fastify's request.raw/reply.raw after reply.hijack()).
import { randomBytes } from 'node:crypto';
import { gateEntry, publicEntry, viewerKeyOf } from './gate-entry.js';

/**
 * @param {{ capacity?: number, maxViewers?: number, maxViewersPerClient?: number, heartbeatMs?: number, maxBufferedBytes?: number }} [options]
 *   capacity: entries kept for a page that opens later; maxViewers: streams open at once (more get 503);
 *   maxViewersPerClient: streams one client address may hold of those (more get 429), so that no client takes
 *   them all;
 *   heartbeatMs: a comment line that keeps idle proxies from closing the stream; maxBufferedBytes: a viewer
 *   that reads slower than this is let go rather than buffered without end.
 */
export function createGateLog({
  capacity = 200,
  maxViewers = 50,
  maxViewersPerClient = 4,
  heartbeatMs = 15_000,
  maxBufferedBytes = 1 << 16,
} = {}) {
  // Event ids carry this process's boot id: a page reconnecting to a restarted server gets the whole buffer.
  const boot = randomBytes(4).toString('hex');
  const entries = [];
  const viewers = new Set();
  /** Streams open per client address (the socket's peer: a proxy in front would count as one client). */
  const perClient = new Map();
  let seq = 0;
  let heartbeat;

  const send = (viewer, text) => {
    // HTTP/2's compatibility response keeps its buffer on its stream.
    if ((viewer.response.stream ?? viewer.response).writableLength > maxBufferedBytes) return drop(viewer);
    viewer.response.write(text);
  };
  const frame = (entry, key) => `id: ${boot}-${entry.seq}\ndata: ${JSON.stringify(publicEntry(entry, key))}\n\n`;

  function drop(viewer) {
    if (!viewers.delete(viewer)) return;
    const held = (perClient.get(viewer.client) ?? 1) - 1;
    if (held > 0) perClient.set(viewer.client, held);
    else perClient.delete(viewer.client);
    viewer.response.end();
    if (viewers.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  return {
    /** Records one HandshakeEvent (the gate's `onEvent`) and sends it to every open page. */
    record(event) {
      const entry = gateEntry(event, ++seq, Date.now());
      entries.push(entry);
      if (entries.length > capacity) entries.shift();
      for (const viewer of viewers) send(viewer, frame(entry, viewer.key));
    },

    /** GET /gate-log: the buffered entries after the page's Last-Event-ID, then every new one as it happens. */
    stream(request, response) {
      const client = request.socket?.remoteAddress ?? '';
      if ((perClient.get(client) ?? 0) >= maxViewersPerClient) {
        response.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
        return void response.end('too many gate-log viewers from this client');
      }
      if (viewers.size >= maxViewers) {
        response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
        return void response.end('too many gate-log viewers');
      }
      const viewer = { key: viewerKeyOf(request.url), response, client };
      viewers.add(viewer);
      perClient.set(client, (perClient.get(client) ?? 0) + 1);
      // The response's close, not the request's: a request without a body is over (and closed) at once.
      response.on('close', () => drop(viewer));
      response.on('error', () => drop(viewer));
      // No Connection header: HTTP/2 forbids it, and HTTP/1.1 keeps the connection open by default.
      response.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      // `retry` (§9.2.6): how soon the page reconnects; `hello` says which server process this is, `live` that the
      // replay is over.
      let replay = `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ boot })}\n\n`;
      const last = /^([0-9a-f]{8})-(\d+)$/.exec(String(request.headers['last-event-id'] ?? ''));
      const after = last && last[1] === boot ? Number(last[2]) : 0;
      for (const entry of entries) if (entry.seq > after) replay += frame(entry, viewer.key);
      send(viewer, `${replay}event: live\ndata: {}\n\n`);
      heartbeat ??= setInterval(() => {
        for (const each of viewers) send(each, ': heartbeat\n\n');
      }, heartbeatMs).unref();
    },

    /** Ends every open stream (at shutdown: a server does not close while a response is still open). */
    close() {
      for (const viewer of viewers) drop(viewer);
    },

    /** Streams open now. */
    get viewers() {
      return viewers.size;
    },
  };
}
