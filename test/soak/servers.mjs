// The servers the soak runs against: each starts on 127.0.0.1:0 with the same app work — an accepted
// route (/soak) that needs the cookie `sid=ok`, a 401 without it, a slow hook (/slow) for aborts, and a
// per-IP quota whose counts must return to zero.
import http from 'node:http';
import { createGate, MemoryQuotaStore, quotaPerIp } from '@wsgate/core';

const slowly = () => new Promise((resolve) => setTimeout(resolve, 20));

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

export const servers = [
  {
    name: 'core',
    async start() {
      const store = new MemoryQuotaStore();
      const server = http.createServer();
      const gate = createGate({ quotas: [quotaPerIp(10_000, { store })] });
      const auth = (up) => (up.cookies.sid === 'ok' ? { user: 'soak' } : up.reject(401, { error: 'login required' }));
      gate.route('/soak', { onUpgrade: auth }, () => {});
      gate.route('/slow', { onUpgrade: async (up) => (await slowly(), auth(up)) }, () => {});
      gate.attach(server);
      const port = await listen(server);
      return {
        port,
        cookie: 'sid=ok',
        pending: () => gate.pending,
        quotaHeld: () => store.held(),
        connections: () => gate.connections.size,
        async close() {
          await gate.close({ timeout: 1_000 });
          await new Promise((resolve) => server.close(resolve));
        },
      };
    },
  },
];
