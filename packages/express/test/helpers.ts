/**
 * Real servers on 127.0.0.1:0 and real clients (ws, raw TCP), every one of them closed after each test.
 */

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketApp } from '../src/index.js';

export const versions = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
] as const;

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export interface Running {
  server: Server;
  port: number;
  origin: string;
  url: (path: string) => string;
}

/** app.listen(0) (the patched one, which attaches), closed after the test with every connection. */
export async function serve(app: WebSocketApp<express5.Express, unknown>): Promise<Running> {
  const server = app.listen(0, '127.0.0.1') as Server;
  await once(server, 'listening');
  onCleanup(async () => {
    await app.wsgate.close({ timeout: 200 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { server, port, origin, url: (path) => `ws://127.0.0.1:${port}${path}` };
}

export interface Refused {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Opens a ws client: the open socket, or the HTTP response that refused it. */
export async function open(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<{ socket: WebSocket } | { refused: Refused }> {
  const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
  // A handler may send as soon as it has the socket: queue from the start so no message is missed.
  const queue: string[] = [];
  inboxes.set(socket, queue);
  socket.on('message', (data) => {
    queue.push(String(data));
    socket.emit('queued');
  });
  onCleanup(() => {
    socket.terminate();
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket }));
    socket.once('error', reject);
    socket.once('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        resolve({
          refused: {
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          },
        });
      });
    });
  });
}

export async function expectOpen(
  url: string,
  options?: { protocols?: string[]; headers?: Record<string, string> },
): Promise<WebSocket> {
  const result = await open(url, options);
  if ('refused' in result) {
    throw new Error(`expected a 101, got ${result.refused.status}: ${result.refused.body}`);
  }
  return result.socket;
}

export async function expectRefused(
  url: string,
  options?: { protocols?: string[]; headers?: Record<string, string> },
): Promise<Refused> {
  const result = await open(url, options);
  if ('socket' in result) throw new Error('expected a refusal, got a 101');
  return result.refused;
}

const inboxes = new WeakMap<WebSocket, string[]>();

/** The next message the client received (queued from the moment it was created). */
export async function nextMessage(socket: WebSocket): Promise<string> {
  const queue = inboxes.get(socket);
  if (queue === undefined) throw new Error('not a socket from open()');
  while (queue.length === 0) await once(socket, 'queued');
  return queue.shift() as string;
}

/** A raw TCP client: what it sent is exactly what is written; `text()` is everything read until the close. */
export async function raw(port: number): Promise<Socket & { received: () => Buffer; gone: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const gone = once(socket, 'close').then(() => undefined);
  onCleanup(() => {
    socket.destroy();
  });
  return Object.assign(socket, { received: () => Buffer.concat(chunks), gone });
}

/** Resolves once `predicate` holds for what the raw socket has received. */
export async function receivedUntil(
  socket: Socket & { received: () => Buffer },
  predicate: (data: Buffer) => boolean,
): Promise<Buffer> {
  while (!predicate(socket.received())) {
    if (socket.destroyed) throw new Error(`connection closed; received: ${socket.received().toString()}`);
    await once(socket, 'data');
  }
  return socket.received();
}

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** An opening handshake as bytes, with optional extra header lines. */
export function handshake(port: number, path: string, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** A masked client text frame (RFC 6455 §5.2), payload under 126 bytes. */
export function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** An unmasked server text frame's payload at `offset`, or undefined if not complete yet. */
export function serverText(data: Buffer, offset: number): string | undefined {
  if (data.length < offset + 2) return undefined;
  const length = (data[offset + 1] as number) & 0x7f;
  if (data.length < offset + 2 + length) return undefined;
  return data.subarray(offset + 2, offset + 2 + length).toString();
}

/** A promise with its resolve function, for "let the middleware go on now". */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
