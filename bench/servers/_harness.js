// What every bench server shares: listen on 127.0.0.1, report the port, answer memory probes and open and
// close measured windows (CPU, GC, profile: see _window.js).
//
// The runner forks each server file with an IPC channel and `--expose-gc`, env PORT=0 and HOST=127.0.0.1.
// A server file builds its http.Server, attaches its app, then calls `await listen(server)` (or, when the
// framework insists on listening itself, `report(server)` once it listens). See bench/README.md.

import { onWindowMessage, watchConnections } from './_window.js';

const BACKLOG = 1024; // same for every server, above the highest concurrency level (512)

let reported = null;

/** Listens on HOST:PORT (127.0.0.1:0 unless told otherwise), then reports. Resolves with the port. */
export function listen(server) {
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 0);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: BACKLOG }, () => {
      server.removeListener('error', reject);
      resolve(report(server));
    });
  });
}

/** Tells the runner the port: one JSON line on stdout and an IPC message. Returns the port. */
export function report(server) {
  const { port } = server.address();
  reported = server;
  watchConnections(server);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.send?.({ type: 'listening', port });
  return port;
}

export { BACKLOG };

/** Memory after forced GC, plus how many sockets the server still has open. */
export async function measureMemory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  const connections = await new Promise((r) => {
    if (!reported) return r(null);
    reported.getConnections((err, n) => r(err ? null : n));
  });
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    connections,
    gc: typeof globalThis.gc === 'function',
  };
}

if (process.send) {
  process.on('message', async (msg) => {
    if (msg?.type === 'memory') process.send({ type: 'memory', id: msg.id, ...(await measureMemory()) });
    else if (msg?.type === 'window') await onWindowMessage(msg);
  });
  // The runner went away (or closed the channel): leave without waiting for open sockets.
  process.on('disconnect', () => process.exit(0));
}
