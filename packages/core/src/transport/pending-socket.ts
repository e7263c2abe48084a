/**
 * An HTTP/1.1 connection whose upgrade is pending. Node hands it over unread once it has parsed the
 * request: what arrives while the hook runs (frames a client sent early, or its going away) is ours to
 * notice, and what was already read (`head`) is ours to pass on.
 */

import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Past this much early data, reading stops: a client may not make us buffer without bound while a hook runs. */
const MAX_EARLY_BYTES = 64 * 1024;

export class PendingSocket {
  readonly socket: Duplex;
  #head: Buffer;
  #early: Buffer[] | undefined;
  #earlyBytes = 0;
  #listeners: { close(): void; end(): void; data(chunk: Buffer): void } | undefined;

  constructor(socket: Duplex, head: Buffer) {
    this.socket = socket;
    this.#head = head;
    // A reset while we answer is the client's business; the 'close' that follows cleans up.
    socket.on('error', ignoreSocketError);
  }

  watch(gone: () => void): void {
    const socket = this.socket;
    const listeners = {
      close: gone,
      // The client half-closed before the answer (ws destroys such sockets too): it cannot be a WebSocket.
      end: () => {
        gone();
        socket.destroy();
      },
      data: (chunk: Buffer) => {
        if (this.#early === undefined) this.#early = [chunk];
        else this.#early.push(chunk);
        this.#earlyBytes += chunk.length;
        if (this.#earlyBytes > MAX_EARLY_BYTES) socket.pause();
      },
    };
    this.#listeners = listeners;
    socket.on('close', listeners.close);
    // Node leaves an upgraded socket unread; reading it is how a client that goes away is noticed.
    socket.on('end', listeners.end);
    socket.on('data', listeners.data);
  }

  unwatch(): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    this.#listeners = undefined;
    this.socket.removeListener('close', listeners.close);
    this.socket.removeListener('end', listeners.end);
    this.socket.removeListener('data', listeners.data);
  }

  /**
   * The bytes that followed the request: `head` and whatever arrived since. Taken once, by the engine,
   * and watching stops first: a 'data' listener left in place would receive the bytes the engine puts
   * back into the stream (`unshift` emits at once on a flowing stream) before the engine listens.
   */
  takeBytes(): Buffer {
    this.unwatch();
    const early = this.#early;
    const bytes = early === undefined ? this.#head : Buffer.concat([this.#head, ...early]);
    this.#early = undefined;
    this.#head = EMPTY;
    return bytes;
  }

  /** The socket is the engine's now: its errors are the engine's to handle, and reading resumes. */
  handOver(): void {
    this.socket.removeListener('error', ignoreSocketError);
    // Reading was paused if the client sent too much before the answer: a new listener does not resume it.
    this.socket.resume();
  }
}

const EMPTY = Buffer.alloc(0);

function ignoreSocketError(): void {}

/**
 * Node emits 'upgrade' as soon as it has parsed the request, even while the responses to requests
 * pipelined before it on the same connection are still being written. Those go first (RFC 9112 §9.3.2:
 * responses in the order of the requests): `then` runs once no response owns the socket any more, or
 * never if the connection ends meanwhile (the earlier answer was the last one).
 */
export function whenSocketFree(socket: Duplex, then: () => void): void {
  const busy = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (busy === undefined || busy === null) {
    then();
    return;
  }
  socket.on('error', ignoreSocketError);
  const retry = () => {
    busy.removeListener('finish', retry);
    busy.removeListener('close', retry);
    // After Node's own 'finish' listener has detached this response and given the socket to the next one.
    setImmediate(() => {
      if (!socket.destroyed && socket.writable) whenSocketFree(socket, then);
      else socket.destroy();
    });
  };
  busy.once('finish', retry);
  busy.once('close', retry);
}
