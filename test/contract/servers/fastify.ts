// The contract app on Fastify 5 (the @wsgate/fastify plugin): auth and the headers are route onRequest hooks,
// the wait a preHandler, trust proxy is Fastify's `trustProxy`.
import { wsgate } from '@wsgate/fastify';
import Fastify, { type onRequestHookHandler, type preHandlerHookHandler } from 'fastify';
import { contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS } from '../app.js';
import type { ContractServer, ServerOptions } from './kinds.js';

export async function fastifyServer(options: ServerOptions): Promise<ContractServer> {
  const app = contractApp(options.gate);
  const web = Fastify({ trustProxy: options.trustProxy });
  await web.register(wsgate, { ...app.gateOptions, closeTimeout: 200 });
  const auth: onRequestHookHandler = async (request, reply) => {
    if (!request.headers['x-user']) return reply.code(401).send(LOGIN_REQUIRED);
  };
  const setHeaders: onRequestHookHandler = async (_request, reply) => {
    reply.headers(MIDDLEWARE_HEADERS);
  };
  const slow: preHandlerHookHandler = async () => {
    await app.slow();
  };
  web.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
  for (const path of ROUTE_PATHS) {
    const onRequest = path === '/auth' ? auth : path === '/headers' ? setHeaders : undefined;
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
    close: async () => {
      web.server.closeAllConnections();
      await web.close();
    },
  };
}
