/**
 * The port-free test helper: a real `ws` client connected to the app through an in-memory socket pair.
 * The server side of the pair is handed to the app's HTTP server as a new connection, so the handshake
 * goes through Node's HTTP parser, the gate and the app's hooks exactly as it would over TCP.
 *
 * Superseded by @wsgate/testing (every adapter, refusals as assertions, messages, clean-up); kept for the
 * apps that use it.
 */

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { socketPair } from '@wsgate/core/adapter';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { InjectWebSocket, InjectWebSocketOptions } from './types.js';

/** The handshake was refused: the HTTP response the client got instead of a 101. */
export class InjectWebSocketError extends Error {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;

  constructor(statusCode: number, headers: IncomingHttpHeaders, body: string) {
    super(`WebSocket handshake refused: ${statusCode} ${body.length > 200 ? `${body.slice(0, 200)}…` : body}`);
    this.name = 'InjectWebSocketError';
    this.statusCode = statusCode;
    this.headers = headers;
    this.body = body;
  }
}

export function createInjector(fastify: FastifyInstance): InjectWebSocket {
  return async function injectWebSocket(path: string, options: InjectWebSocketOptions = {}): Promise<WebSocket> {
    await fastify.ready();
    const { protocols, host = 'localhost', ...clientOptions } = options;
    const [clientSide, serverSide] = socketPair();
    fastify.server.emit('connection', serverSide);
    const client = new WebSocket(`ws://${host}${path.startsWith('/') ? path : `/${path}`}`, protocols, {
      ...clientOptions,
      createConnection: () => clientSide as unknown as Socket,
    });
    return await new Promise<WebSocket>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | undefined) => {
        if (settled) return;
        settled = true;
        if (error === undefined) resolve(client);
        else reject(error);
      };
      const onError = (error: Error) => settle(error);
      client.on('error', onError);
      client.once('open', () => {
        // From here on the client is the caller's, errors included. Messages the server sent with its 101
        // are held until the caller's `await` has resumed, so that listeners attached right after it see them.
        client.removeListener('error', onError);
        client.pause();
        settle(undefined);
        setImmediate(() => client.resume());
      });
      client.once('unexpected-response', (request, response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        const done = () => {
          settle(
            new InjectWebSocketError(response.statusCode ?? 0, response.headers, Buffer.concat(chunks).toString()),
          );
          request.destroy();
          clientSide.destroy();
        };
        response.once('end', done);
        response.once('close', done);
        response.once('error', done);
      });
    });
  };
}
