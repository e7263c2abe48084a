/**
 * Messages in tests. Every socket the kit opens gets an inbox from its first moment, so a message is never
 * lost between two `await`s: `nextMessage` takes from the inbox, or waits for the next one.
 *
 * A text message is parsed as JSON when it is JSON (`'{"a":1}'` -> `{ a: 1 }`, `'42'` -> 42) and is the
 * string otherwise; a binary message is a Buffer.
 */

import WebSocket from 'ws';
import { WaitTimeoutError } from './errors.js';
import { checkTimeout } from './options.js';

export interface WaitOptions {
  /** Milliseconds to wait. Default 3000. */
  timeout?: number;
}

export interface CloseEvent {
  readonly code: number;
  readonly reason: string;
  /** The error that ended the connection, if one did (a protocol error, a reset). */
  readonly error: Error | undefined;
}

interface Waiter {
  matches(value: unknown): boolean;
  resolve(value: unknown): void;
  closed(close: CloseEvent): void;
  readonly skipped: unknown[];
}

class Inbox {
  readonly queue: unknown[] = [];
  readonly waiters = new Set<Waiter>();
  close: CloseEvent | undefined;
  #error: Error | undefined;

  constructor(socket: WebSocket) {
    socket.on('message', (data, binary) => this.#receive(decode(data, binary)));
    // Recorded rather than thrown: a test learns of it from nextMessage / whenClosed.
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    socket.once('close', (code, reason) => {
      this.close = { code, reason: reason.toString(), error: this.#error };
      for (const waiter of this.waiters) waiter.closed(this.close);
    });
  }

  #receive(value: unknown): void {
    for (const waiter of this.waiters) {
      if (waiter.matches(value)) {
        waiter.resolve(value);
        return;
      }
    }
    if (this.waiters.size === 0) this.queue.push(value);
    else for (const waiter of this.waiters) waiter.skipped.push(value);
  }
}

const inboxes = new WeakMap<WebSocket, Inbox>();

/** The socket's inbox, created on first use (the kit creates it when the socket opens). */
export function inboxOf(socket: WebSocket): Inbox {
  let inbox = inboxes.get(socket);
  if (inbox === undefined) {
    inbox = new Inbox(socket);
    inboxes.set(socket, inbox);
  }
  return inbox;
}

function decode(data: WebSocket.RawData, binary: boolean): unknown {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  if (binary) return bytes;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends `value` as a JSON text message; resolves once it is written. */
export function sendJson(socket: WebSocket, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(JSON.stringify(value), (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * The next message, or the next one `predicate` accepts (those before it are skipped and dropped).
 * Rejects with a WaitTimeoutError naming what was awaited and what arrived meanwhile, or at once when the
 * socket closes first.
 */
export function nextMessage<T = unknown>(
  socket: WebSocket,
  predicate?: (message: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const timeout = checkTimeout(options.timeout);
  const inbox = inboxOf(socket);
  const matches = (value: unknown) => {
    try {
      return predicate === undefined || predicate(value as T);
    } catch {
      return false; // a predicate that cannot read this message does not want it
    }
  };
  const skipped: unknown[] = [];
  while (inbox.queue.length > 0) {
    const value = inbox.queue.shift();
    if (matches(value)) return Promise.resolve(value as T);
    skipped.push(value);
  }
  const awaited = describeAwaited(predicate);
  if (inbox.close !== undefined) return Promise.reject(closedError(socket, awaited, inbox.close, skipped));
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter = {
      matches,
      resolve: (value) => done(() => resolve(value as T)),
      closed: (close) => done(() => reject(closedError(socket, awaited, close, waiter.skipped))),
      skipped,
    };
    const timer = setTimeout(
      () =>
        done(() =>
          reject(
            new WaitTimeoutError(
              `nextMessage: no ${awaited} on ${socket.url} within ${timeout} ms${describeSkipped(waiter.skipped)}`,
            ),
          ),
        ),
      timeout,
    );
    const done = (settle: () => void) => {
      clearTimeout(timer);
      inbox.waiters.delete(waiter);
      settle();
    };
    inbox.waiters.add(waiter);
  });
}

/** The next `count` messages (matching `predicate`, if given), in order, within one timeout. */
export async function collectMessages<T = unknown>(
  socket: WebSocket,
  count: number,
  predicate?: (message: T) => boolean,
  options: WaitOptions = {},
): Promise<T[]> {
  const deadline = Date.now() + checkTimeout(options.timeout);
  const messages: T[] = [];
  while (messages.length < count) {
    try {
      messages.push(await nextMessage(socket, predicate, { timeout: Math.max(1, deadline - Date.now()) }));
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      error.message = `collectMessages: got ${messages.length} of ${count} (${describeMessages(messages)}); ${error.message}`;
      throw error;
    }
  }
  return messages;
}

/** Resolves with the close code and reason once the socket is closed (at once if it already is). */
export function whenClosed(socket: WebSocket, options: WaitOptions = {}): Promise<CloseEvent> {
  const timeout = checkTimeout(options.timeout);
  const inbox = inboxOf(socket);
  if (inbox.close !== undefined) return Promise.resolve(inbox.close);
  if (socket.readyState === WebSocket.CLOSED) {
    return Promise.reject(new Error('whenClosed: this socket closed before the kit watched it; ask before it closes'));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WaitTimeoutError(`whenClosed: ${socket.url} still open after ${timeout} ms`)),
      timeout,
    );
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(inbox.close as CloseEvent);
    });
  });
}

function describeAwaited(predicate: ((message: never) => boolean) | undefined): string {
  if (predicate === undefined) return 'message';
  const source = String(predicate).replace(/\s+/g, ' ');
  return `message matching ${source.length > 160 ? `${source.slice(0, 160)}…` : source}`;
}

function describeSkipped(skipped: readonly unknown[]): string {
  return skipped.length === 0 ? '; nothing else arrived' : `; skipped meanwhile: ${describeMessages(skipped)}`;
}

function describeMessages(messages: readonly unknown[]): string {
  const shown = messages
    .slice(0, 10)
    .map((value) => (Buffer.isBuffer(value) ? `<${value.length} bytes>` : JSON.stringify(value)));
  return shown.join(', ') + (messages.length > 10 ? ` and ${messages.length - 10} more` : '');
}

function closedError(socket: WebSocket, awaited: string, close: CloseEvent, skipped: readonly unknown[]): Error {
  const why = close.error === undefined ? '' : ` after an error: ${close.error.message}`;
  return new Error(
    `nextMessage: ${socket.url} closed (${close.code}${close.reason === '' ? '' : ` ${close.reason}`})${why} before a ${awaited}${describeSkipped(skipped)}`,
  );
}
