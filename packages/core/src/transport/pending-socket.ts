/**
 * An HTTP/1.1 connection whose upgrade is pending. Node hands it over unread once it has parsed the
 * request: what arrives while the hook runs (frames a client sent early, draft-76's key bytes, or its
 * going away) is ours to notice, and what was already read (`head`) is ours to pass on.
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
  #onData: ((chunk: Buffer) => void) | undefined;
  #gone: { close(): void; end(): void } | undefined;
  #waiting: { bytes: number; resolve(arrived: boolean): void } | undefined;

  constructor(socket: Duplex, head: Buffer) {
    this.socket = socket;
    this.#head = head;
    // A reset while we answer is the client's business; the 'close' that follows cleans up.
    socket.on('error', ignoreSocketError);
  }

  /** Bytes received after the request so far. */
  get available(): number {
    return this.#head.length + this.#earlyBytes;
  }

  watch(gone: () => void): void {
    const socket = this.socket;
    this.#gone = {
      close: gone,
      // The client half-closed before the answer (ws destroys such sockets too): it cannot be a WebSocket.
      end: () => {
        gone();
        socket.destroy();
      },
    };
    socket.on('close', this.#gone.close);
    socket.on('end', this.#gone.end);
    this.#collect();
  }

  unwatch(): void {
    const socket = this.socket;
    if (this.#gone !== undefined) {
      socket.removeListener('close', this.#gone.close);
      socket.removeListener('end', this.#gone.end);
      this.#gone = undefined;
    }
    if (this.#onData !== undefined) {
      socket.removeListener('data', this.#onData);
      this.#onData = undefined;
    }
    this.#waiting?.resolve(this.available >= this.#waiting.bytes);
  }

  /** Resolves true once `bytes` bytes followed the request, false if the connection ends first. */
  waitFor(bytes: number): Promise<boolean> {
    if (this.available >= bytes) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (arrived: boolean) => {
        this.#waiting = undefined;
        this.socket.removeListener('close', closed);
        resolve(arrived);
      };
      const closed = () => done(false);
      this.#waiting = { bytes, resolve: done };
      this.socket.once('close', closed);
      this.#collect();
    });
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
    this.#earlyBytes = 0;
    this.#head = EMPTY;
    return bytes;
  }

  /** The socket is the engine's now: its errors are the engine's to handle, and reading resumes. */
  handOver(): void {
    this.socket.removeListener('error', ignoreSocketError);
    // Reading was paused if the client sent too much before the answer: a new listener does not resume it.
    this.socket.resume();
  }

  /** Node leaves an upgraded socket unread; reading it is how early bytes, and a client that goes away, are noticed. */
  #collect(): void {
    if (this.#onData !== undefined) return;
    this.#onData = (chunk: Buffer) => {
      if (this.#early === undefined) this.#early = [chunk];
      else this.#early.push(chunk);
      this.#earlyBytes += chunk.length;
      if (this.#earlyBytes > MAX_EARLY_BYTES) this.socket.pause();
      const waiting = this.#waiting;
      if (waiting !== undefined && this.available >= waiting.bytes) waiting.resolve(true);
    };
    this.socket.on('data', this.#onData);
  }
}

const EMPTY = Buffer.alloc(0);

function ignoreSocketError(): void {}

/** Whether no earlier response on the connection is still being written (the usual case: nothing to wait for). */
export function socketIsFree(socket: Duplex): boolean {
  const busy = responseOn(socket);
  return busy === undefined || busy === null;
}

/** The response Node is writing on the connection: private to node:http, and the only way to know. */
function responseOn(socket: Duplex): ServerResponse | null | undefined {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
}

/**
 * Node emits 'upgrade' as soon as it has parsed the request, even while the responses to requests
 * pipelined before it on the same connection are still being written. Those go first (RFC 9112 §9.3.2:
 * responses in the order of the requests): `then` runs once no response owns the socket any more, or
 * never if the connection ends meanwhile (the earlier answer was the last one).
 */
export function whenSocketFree(socket: Duplex, then: () => void): void {
  const busy = responseOn(socket);
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
