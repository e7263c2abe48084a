/**
 * One opening handshake by a real `ws` client over a kit connection, and its outcome: the 101 and the open
 * socket, or the refusal with its whole body. Everything else builds on this.
 */

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { ClientFailedError, HandshakeRefusedError, WaitTimeoutError } from './errors.js';
import { inboxOf } from './messages.js';
import { type HandshakeOptions, prepareHandshake } from './options.js';
import { opened, type SocketRegistry } from './registry.js';
import { type HandshakeResult, responseFrom } from './response.js';
import { asTestSocket, closeSocket, type TestSocket } from './socket.js';
import type { TestTarget } from './target.js';
import { connectTo } from './transport.js';

interface Outcome {
  readonly response: HandshakeResult;
  readonly socket: TestSocket | undefined;
}

/** Runs the handshake; the open socket (if any) is registered in `registry` and in the kit's own registry. */
export async function performHandshake(
  target: TestTarget,
  path: string,
  options: HandshakeOptions,
  registry?: SocketRegistry,
): Promise<Outcome> {
  const prepared = prepareHandshake(path, options);
  const connection = await connectTo(target, options);
  const client = new WebSocket(prepared.url, prepared.protocols, {
    ...prepared.clientOptions,
    createConnection: () => connection as Socket,
  });
  opened.add(client);
  registry?.add(client);

  return new Promise<Outcome>((resolve, reject) => {
    let upgrade: IncomingMessage | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() =>
        reject(
          new WaitTimeoutError(
            `no answer to the WebSocket handshake ${prepared.request.method} ${prepared.request.path} within ${prepared.timeout} ms`,
          ),
        ),
      );
      client.terminate();
    }, prepared.timeout);

    // The client keeps this listener for its whole life: errors after the outcome are the inbox's to report.
    client.on('error', (error) => {
      if (upgrade === undefined) return settle(() => reject(error));
      // A 101 the ws client refused (no subprotocol, a bad extension answer): the answer is still the answer.
      const response = responseFrom(upgrade, '', prepared.request, undefined);
      settle(() =>
        resolve({ response: { ...response, clientError: new ClientFailedError(response, error) }, socket: undefined }),
      );
    });
    client.once('upgrade', (response) => {
      upgrade = response;
    });
    client.once('open', () => {
      settle(() => {
        inboxOf(client);
        // Messages the server sent with its 101 are held until the caller's `await` has resumed, so that
        // listeners attached right after it see them too.
        client.pause();
        setImmediate(() => client.resume());
        const response = responseFrom(upgrade as IncomingMessage, '', prepared.request, client.protocol || undefined);
        resolve({ response, socket: asTestSocket(client) });
      });
    });
    client.once('unexpected-response', (_request, response) => {
      readBody(response).then((body) => {
        settle(() =>
          resolve({ response: responseFrom(response, body, prepared.request, undefined), socket: undefined }),
        );
        client.terminate(); // ends the connection and the client (CLOSED), as a refused browser does
      });
    });
  });
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      body += chunk;
    });
    // A response cut short still shows what came.
    response.once('end', () => resolve(body));
    response.once('close', () => resolve(body));
    response.once('error', () => resolve(body));
  });
}

/**
 * Opens a WebSocket to `path` on `target`, without a port. Resolves with the open `ws` client (messages sent
 * with the 101 are kept); rejects with a HandshakeRefusedError carrying the whole response when refused.
 */
export async function connect(target: TestTarget, path: string, options: HandshakeOptions = {}): Promise<TestSocket> {
  return socketOf(await performHandshake(target, path, options));
}

/** The socket of an outcome, or the error that says why there is none. */
export function socketOf({ response, socket }: Outcome): TestSocket {
  if (socket !== undefined) return socket;
  throw response.clientError ?? new HandshakeRefusedError(response);
}

export interface ResponseOptions extends HandshakeOptions {
  /** Keep the socket of a 101 open, in `response.socket`. Default: closed before `handshake` resolves. */
  keepOpen?: boolean;
}

/** Sends the handshake and resolves with the response, whatever it is (a 101 or a refusal). */
export async function handshake(
  target: TestTarget,
  path: string,
  options: ResponseOptions = {},
): Promise<HandshakeResult> {
  return responseOf(await performHandshake(target, path, options), options.keepOpen === true);
}

export async function responseOf({ response, socket }: Outcome, keepOpen: boolean): Promise<HandshakeResult> {
  if (socket === undefined) return response;
  if (keepOpen) return { ...response, socket };
  await closeSocket(socket);
  return response;
}
