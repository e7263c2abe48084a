// Real sockets on 127.0.0.1, port 0: a Fastify app with the plugin, ws clients, raw TCP, and clean-up.
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import WebSocket from 'ws';
import { type WsGatePluginOptions, wsgate } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];

/** Closes everything `serve`, `connect` and `rawExchange` opened; call in afterEach. */
export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}

export interface Served {
  app: FastifyInstance;
  port: number;
  /** `http://127.0.0.1:PORT`, the same-origin Origin */
  origin: string;
  /** `ws://127.0.0.1:PORT` */
  url: string;
  /** Pino's JSON lines, when `log` was asked for. */
  logs: Array<Record<string, unknown>>;
}

export interface ServeOptions {
  plugin?: WsGatePluginOptions;
  fastify?: FastifyServerOptions;
  /** Capture the app's log lines at this level. */
  log?: string;
}

/** A Fastify app with the plugin registered, `setup` run, listening on 127.0.0.1:0. */
export async function serve(setup: (app: FastifyInstance) => unknown, options: ServeOptions = {}): Promise<Served> {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line));
      callback();
    },
  });
  const app = Fastify({
    ...options.fastify,
    ...(options.log === undefined ? {} : { logger: { level: options.log, stream } }),
  });
  await app.register(wsgate, { closeTimeout: 500, ...options.plugin });
  await setup(app);
  cleanups.push(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, port, origin: `http://127.0.0.1:${port}`, url: `ws://127.0.0.1:${port}`, logs };
}

/** A ws client that is open, or the refusal it got. */
export type Connected = { socket: WebSocket; protocol: string } | { refused: Refused };

export interface Refused {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Opens a ws client; resolves once open, or with the HTTP response that refused it. */
export function connect(
  url: string,
  options: WebSocket.ClientOptions & { protocols?: string[] } = {},
): Promise<Connected> {
  const { protocols, ...clientOptions } = options;
  const socket = new WebSocket(url, protocols, clientOptions);
  queue(socket);
  cleanups.push(() => {
    if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, protocol: socket.protocol }));
    socket.once('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({
          refused: {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          },
        });
        request.destroy();
      });
    });
    socket.on('error', (error) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(error);
    });
  });
}

/** Opens a client that must be accepted. */
export async function open(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}) {
  const result = await connect(url, options);
  if ('refused' in result) throw new Error(`refused: ${result.refused.status} ${result.refused.body}`);
  return result.socket;
}

/** Opens a client that must be refused. */
export async function refused(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}) {
  const result = await connect(url, options);
  if (!('refused' in result)) throw new Error(`accepted with protocol ${JSON.stringify(result.protocol)}`);
  return result.refused;
}

const queues = new WeakMap<WebSocket, { messages: string[]; waiters: Array<(message: string) => void> }>();

/** Keeps every message from the start: a server may send in the same chunk as its 101. */
export function queue(socket: WebSocket): void {
  const state = { messages: [] as string[], waiters: [] as Array<(message: string) => void> };
  queues.set(socket, state);
  socket.on('message', (data) => {
    const waiter = state.waiters.shift();
    if (waiter !== undefined) waiter(String(data));
    else state.messages.push(String(data));
  });
}

/** The next message on a socket opened by `connect`/`open` (or given to `queue` before it opened). */
export function nextMessage(socket: WebSocket): Promise<string> {
  let state = queues.get(socket);
  if (state === undefined) {
    queue(socket);
    state = queues.get(socket)!;
  }
  const message = state.messages.shift();
  if (message !== undefined) return Promise.resolve(message);
  const { waiters } = state;
  return new Promise((resolve) => waiters.push(resolve));
}

export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve({ code: 1006, reason: '' });
  return new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
}

/** A valid key (base64 of 16 bytes) and the matching Sec-WebSocket-Accept. */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** A complete, valid handshake request, with header lines replaced (null removes) or added by `extra`. */
export function handshakeRequest(
  port: number,
  path: string,
  extra: Record<string, string | string[] | null> = {},
  requestLine = `GET ${path} HTTP/1.1`,
): string {
  const headers: Record<string, string | string[] | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  let text = `${requestLine}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === null) continue;
    for (const line of Array.isArray(value) ? value : [value]) text += `${name}: ${line}\r\n`;
  }
  return `${text}\r\n`;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes after the response head (for a 101: the server's frames). */
  rest: Buffer;
  /** Whether the server ended the connection. */
  closedByServer: boolean;
}

/** A raw TCP connection that collects what the server sends. */
export function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => {
    socket.destroy();
  });
  const chunks: Buffer[] = [];
  let closedByServer = false;
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => {
    closedByServer = true;
  });
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    ended,
    received: () => Buffer.concat(chunks),
    get closedByServer() {
      return closedByServer;
    },
  };
}

/** Splits a raw HTTP response. */
export function parseResponse(bytes: Buffer, closedByServer = true): RawResponse {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd === -1) throw new Error(`no response head: ${JSON.stringify(bytes.toString('latin1'))}`);
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = bytes.subarray(headEnd + 4);
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.toString(), rest, closedByServer };
}

/** Sends raw bytes and collects everything until the server closes the connection. */
export async function rawExchange(port: number, request: string | Buffer): Promise<RawResponse> {
  const connection = rawConnection(port);
  connection.socket.write(request);
  await connection.ended;
  return parseResponse(connection.received(), connection.closedByServer);
}

/** Waits until `predicate` holds, polling; fails after `ms`. For state that settles after a socket event. */
export async function eventually(predicate: () => boolean, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve function, to hold a hook until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; release: (value: T) => void } {
  let release!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/** A masked client text frame (RFC 6455 §5.2), for sending right after a raw handshake. */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('short frames only');
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Reads an unmasked server text frame's payload from the start of `bytes`. */
export function serverTextFrame(bytes: Buffer): string | undefined {
  if (bytes.length < 2 || bytes[0] !== 0x81) return undefined;
  const length = (bytes[1] as number) & 0x7f;
  if (length > 125 || bytes.length < 2 + length) return undefined;
  return bytes.subarray(2, 2 + length).toString();
}
