// The contract app on a plain node:http server with `gate.attach` (no framework): what a framework's
// middleware does elsewhere is the onUpgrade hook's here, and trust proxy does not apply (the core never
// reads X-Forwarded-*).
import http from 'node:http';
import { createGate } from '@wsgate/core';
import { ANSWERED, contractApp, LOGIN_REQUIRED, MIDDLEWARE_HEADERS, ROUTE_PATHS } from '../app.js';
import { type ContractServer, closeServer, h2Server, listen, type ServerOptions } from './kinds.js';

export async function coreServer(options: ServerOptions): Promise<ContractServer> {
  const app = contractApp(options.gate);
  const gate = createGate(app.gateOptions);
  const { routes } = app;
  const own = {
    ...routes,
    '/auth': {
      onUpgrade: (upgrade) =>
        upgrade.request.headers['x-user'] ? { user: true } : upgrade.reject(401, LOGIN_REQUIRED),
    },
    '/answered': {
      onUpgrade: (upgrade) => upgrade.reject(ANSWERED.status, ANSWERED.body, ANSWERED.headers),
    },
    '/headers': {
      onUpgrade: (upgrade) => {
        // No framework response to carry headers from: the hook sets what a middleware sets elsewhere
        // (but Content-Type, which no acceptance carries).
        upgrade.setHeader('X-From-Middleware', MIDDLEWARE_HEADERS['X-From-Middleware']);
        upgrade.setHeader('Set-Cookie', MIDDLEWARE_HEADERS['Set-Cookie']);
        upgrade.setHeader('X-Override', 'hook');
        return { headers: true };
      },
    },
    '/slow': {
      ...routes['/slow'],
      onUpgrade: async (upgrade) => {
        // Like a framework's chain, it goes no further once the client has left.
        const signal = upgrade.signal;
        await app.slow();
        return signal.aborted ? upgrade.reject(499) : undefined;
      },
    },
  } satisfies typeof routes;
  for (const path of ROUTE_PATHS) {
    gate.route(path, own[path], (socket, connection) => app.report(socket, connection));
  }
  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (gate.handleRequest(request, response)) return;
    const [status, body] = request.url === '/health' ? [200, 'ok'] : [404, 'not found'];
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
  };
  const { server, sessions } = options.h2
    ? await h2Server(handler as never)
    : { server: http.createServer(handler), sessions: undefined };
  gate.attach(server);
  const port = await listen(server);
  const close = () => closeServer(gate, server, sessions);
  return { kind: 'core', trustProxy: undefined, port, gate, app, sessions, close };
}
