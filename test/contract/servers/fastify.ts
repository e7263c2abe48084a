// The contract app on Fastify 5 (the @wsgate/fastify plugin): auth and the headers are route onRequest hooks,
// the wait a preHandler, trust proxy is Fastify's `trustProxy`.

import type http2 from 'node:http2';
import { wsgate } from '@wsgate/fastify';
import Fastify, { type FastifyInstance, type onRequestHookHandler, type preHandlerHookHandler } from 'fastify';
import { testCredentials } from '../../h2/cert.js';
import { ANSWERED, contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS } from '../app.js';
import type { ContractServer, ServerOptions } from './kinds.js';

export async function fastifyServer(options: ServerOptions): Promise<ContractServer> {
  const app = contractApp(options.gate);
  // Over HTTP/2, typed as the HTTP/1.1 one: the routes below are the same either way.
  const web = (options.h2
    ? Fastify({
        trustProxy: options.trustProxy,
        http2: true,
        https: { ...(await testCredentials()), allowHTTP1: true },
      })
    : Fastify({ trustProxy: options.trustProxy })) as unknown as FastifyInstance;
  const sessions = new Set<http2.ServerHttp2Session>();
  if (options.h2) {
    web.server.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  await web.register(wsgate, { ...app.gateOptions, closeTimeout: 200 });
  const auth: onRequestHookHandler = async (request, reply) => {
    if (!request.headers['x-user']) return reply.code(401).send(LOGIN_REQUIRED);
  };
  const setHeaders: onRequestHookHandler = async (_request, reply) => {
    reply.headers(MIDDLEWARE_HEADERS);
  };
  const answer: onRequestHookHandler = async (_request, reply) => {
    reply.raw.writeHead(ANSWERED.status, ANSWERED.headers).end(ANSWERED.body);
  };
  const slow: preHandlerHookHandler = async () => {
    await app.slow();
  };
  web.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  for (const path of ROUTE_PATHS) {
    const onRequest = { '/auth': auth, '/headers': setHeaders, '/answered': answer }[path as string];
    const preHandler = path === '/slow' ? slow : undefined;
    web.get(
      path,
      { websocket: app.routes[path], ...(onRequest && { onRequest }), ...(preHandler && { preHandler }) },
      (socket, _request, _context, connection) => app.report(socket, connection),
    );
  }
  await web.listen({ port: 0, host: '127.0.0.1' });
  const port = (web.server.address() as { port: number }).port;
  return {
    kind: 'fastify 5',
    trustProxy: options.trustProxy,
    port,
    gate: web.wsgate,
    app,
    ...(options.h2 && { sessions }),
    close: async () => {
      if ('closeAllConnections' in web.server) web.server.closeAllConnections();
      for (const session of sessions) session.destroy();
      await web.close();
    },
  };
}
