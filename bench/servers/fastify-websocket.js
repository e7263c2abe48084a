// fastify 5 + @fastify/websocket + @fastify/cookie, with the same app work in a preValidation hook
// (as @fastify/websocket's README shows for auth): no sid cookie -> 401 before the upgrade.
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import { BACKLOG, report } from './_harness.js';

const app = Fastify({ logger: false });
await app.register(cookie);
await app.register(websocket);
await app.register(async (scope) => {
  scope.addHook('preValidation', async (request, reply) => {
    if (!request.cookies.sid) return reply.code(401).send({ error: 'login required' });
  });
  scope.get('/ws', { websocket: true }, (socket) => {
    socket.on('error', () => {});
  });
});

await app.listen({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT || 0), backlog: BACKLOG });
report(app.server);
