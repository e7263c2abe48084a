// fastify 5 + @wsgate/fastify + @fastify/cookie, with the same app work as fastify-websocket: a
// preValidation hook, no sid cookie -> a real 401 before the 101.
import cookie from '@fastify/cookie';
import { wsgate } from '@wsgate/fastify';
import Fastify from 'fastify';
import { BACKLOG, report } from './_harness.js';

const app = Fastify({ logger: false });
await app.register(cookie);
await app.register(wsgate, { maxPending: 4096 });
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
