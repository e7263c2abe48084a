import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import Koa from 'koa';
import Koa2 from 'koa2';
import WebSocket from 'ws';
import { type KoaGate, type KoaGateOptions, koaGate } from '../src/index.js';

/** Koa 3 (primary) and Koa 2, for suites that run against both. */
export const koaVersions = [
  ['koa 3', Koa],
  ['koa 2', Koa2 as unknown as typeof Koa],
] as const;

export interface Served {
  app: Koa;
  ws: KoaGate<unknown>;
  server: Server;
  port: number;
  url: string;
}

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs everything `serve`, `open` and `raw` started; call in afterEach. */
export async function cleanup(): Promise<void> {
  const pending = cleanups.splice(0).reverse();
  for (const fn of pending) await fn();
}

/** A Koa app with the adapter attached, listening on 127.0.0.1:0. */
export async function serve(
  KoaClass: typeof Koa,
  setup: (app: Koa, ws: KoaGate<unknown>) => void,
  options: KoaGateOptions<unknown> = {},
): Promise<Served> {
  const app = new KoaClass();
  app.silent = true;
  const ws = koaGate<unknown>(app, options);
  setup(app, ws);
  const server = createServer(app.callback());
  ws.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    await ws.close({ timeout: 100 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { app, ws, server, port, url: `ws://127.0.0.1:${port}` };
}

export interface Refused {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Opens a ws client: resolves with the open socket, or with the HTTP answer it got instead. */
export function open(
  url: string,
  protocols: string | string[] = [],
  options: WebSocket.ClientOptions = {},
): Promise<
  | { socket: WebSocket; refused?: undefined; headers: Record<string, string | string[] | undefined> }
  | { socket?: undefined; refused: Refused }
> {
  const socket = new WebSocket(url, protocols, options);
  cleanups.push(() => socket.terminate());
  queueMessages(socket);
  return new Promise((resolve, reject) => {
    let headers: Record<string, string | string[] | undefined> = {};
    socket.once('upgrade', (response) => {
      headers = response.headers;
    });
    socket.once('open', () => resolve({ socket, headers }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ refused: { status: response.statusCode ?? 0, headers: response.headers, body } }),
      );
      response.on('error', reject);
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

/** Opens and expects a 101. */
export async function accepted(url: string, protocols: string | string[] = [], options: WebSocket.ClientOptions = {}) {
  const result = await open(url, protocols, options);
  if (result.socket === undefined)
    throw new Error(`expected a 101, got ${result.refused.status} ${result.refused.body}`);
  return result;
}

/** Opens and expects an HTTP answer. */
export async function refused(url: string, protocols: string | string[] = [], options: WebSocket.ClientOptions = {}) {
  const result = await open(url, protocols, options);
  if (result.refused === undefined) throw new Error('expected a refusal, got a 101');
  return result.refused;
}

// Messages may arrive with the 101, before anyone awaiting `open` could listen: queue them from the start.
const inboxes = new WeakMap<WebSocket, { messages: string[]; waiting: Array<(message: string) => void> }>();

function queueMessages(socket: WebSocket): void {
  const inbox = { messages: [] as string[], waiting: [] as Array<(message: string) => void> };
  inboxes.set(socket, inbox);
  socket.on('message', (data) => {
    const waiter = inbox.waiting.shift();
    if (waiter === undefined) inbox.messages.push(String(data));
    else waiter(String(data));
  });
}

export function nextMessage(socket: WebSocket): Promise<string> {
  const inbox = inboxes.get(socket);
  if (inbox === undefined) throw new Error('not a socket from open()');
  const queued = inbox.messages.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve, reject) => {
    inbox.waiting.push(resolve);
    socket.once('close', (code) => reject(new Error(`closed ${code} before a message`)));
  });
}

/** A raw TCP client on the server. */
export async function raw(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  return socket;
}

/** Everything the server sends until it closes the connection. */
export function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('close', () => resolve(text));
  });
}

/** Reads until `predicate` holds for what arrived so far. */
export function readUntil(socket: Socket, predicate: (bytes: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (predicate(bytes)) {
        socket.removeListener('data', onData);
        socket.removeListener('close', onClose);
        resolve(bytes);
      }
    };
    const onClose = () => reject(new Error(`closed after ${JSON.stringify(bytes.toString('latin1'))}`));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A handshake request as raw text. */
export function upgradeRequest(port: number, path = '/chat', extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  let text = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** A masked client text frame (RFC 6455 §5.2), payload under 126 bytes. */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** A promise and its resolver, for holding a middleware until the test says so. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
