import type { AddressInfo } from 'node:net';
import { serve as serveHono } from '@hono/node-server';
import type { Env, Hono } from 'hono';
import WebSocket from 'ws';
import { type HonoGate, type HonoGateOptions, wsgate } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];

/** Runs everything `serve` and `open` started; call in afterEach. */
export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}

/** A Hono app on @hono/node-server with the adapter attached, listening on 127.0.0.1:0. */
export async function serve<E extends Env>(
  app: Hono<E>,
  setup: (ws: HonoGate<E, unknown>) => void,
  options: HonoGateOptions<unknown, E> = {},
): Promise<{ ws: HonoGate<E, unknown>; port: number; url: string }> {
  const ws = wsgate<E, unknown>(app, { logRejections: false, ...options });
  setup(ws);
  const server = ws.attach(serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }));
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    await ws.close({ timeout: 100 });
    (server as import('node:http').Server).closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { ws, port, url: `ws://127.0.0.1:${port}` };
}

export interface Refused {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Opens a ws client: the open socket with its first message, or the HTTP answer it got instead. */
export function open(
  url: string,
  options: WebSocket.ClientOptions & { protocols?: string[] } = {},
): Promise<
  | { socket: WebSocket; first: Promise<string>; headers: Record<string, string | string[] | undefined> }
  | { refused: Refused }
> {
  const socket = new WebSocket(url, options.protocols ?? [], options);
  cleanups.push(() => socket.terminate());
  const first = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  return new Promise((resolve, reject) => {
    let headers: Record<string, string | string[] | undefined> = {};
    socket.once('upgrade', (response) => {
      headers = response.headers;
    });
    socket.once('open', () => resolve({ socket, first, headers }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ refused: { status: response.statusCode ?? 0, headers: response.headers, body } }),
      );
    });
    socket.once('error', reject);
  });
}

export async function accepted(url: string, options?: WebSocket.ClientOptions & { protocols?: string[] }) {
  const result = await open(url, options);
  if ('refused' in result) throw new Error(`expected a 101, got ${result.refused.status} ${result.refused.body}`);
  return result;
}

export async function refused(url: string, options?: WebSocket.ClientOptions & { protocols?: string[] }) {
  const result = await open(url, options);
  if (!('refused' in result)) throw new Error('expected a refusal, got a 101');
  return result.refused;
}
