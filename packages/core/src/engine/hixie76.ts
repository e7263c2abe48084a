/**
 * A draft-hixie-thewebsocketprotocol-76 connection after its opening handshake ("§" is a section of
 * that draft), with the part of ws's `WebSocket` surface that chat-style handlers use: `send(string)`,
 * `'message'`, `close()`, `'close'`, `terminate()`, `readyState` and its constants, `protocol`.
 *
 * Draft-76 carries only text frames and a closing handshake of two bytes (§1.4, §5.3): no binary
 * messages, no ping or pong, no close codes. For a handler written against ws, 'close' reports the RFC
 * 6455 §7.4.1 code ws would: 1005 after a closing handshake (a close without a status code), 1006 when
 * the connection ended without one, 1002, 1007 or 1009 when the client's bytes were refused.
 */

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { encodeHixie76Text, HIXIE76_CLOSE_FRAME, type Hixie76FramingError, Hixie76Reader } from './hixie76-framing.js';

export {
  encodeHixie76Text,
  HIXIE76_CLOSE_FRAME,
  type Hixie76Event,
  type Hixie76FramingError,
  Hixie76Reader,
} from './hixie76-framing.js';

export interface Hixie76SocketOptions {
  /** Largest text message accepted, in bytes; larger frames (text or not) fail the connection. */
  maxPayload: number;
  /** The subprotocol agreed in the handshake, if any. */
  protocol?: string | undefined;
  /** How long a closing handshake may take before the socket is destroyed, in ms. Default 30 000, as in ws. */
  closeTimeout?: number;
}

/** ws's send options; only text in whole messages can be sent (see `send`). */
export interface Hixie76SendOptions {
  binary?: boolean;
  fin?: boolean;
  compress?: boolean;
  mask?: boolean;
}

type SendCallback = (error?: Error | null) => void;

/** Emitted (only to listeners; never thrown) before a connection is failed for what the client sent. */
export class Hixie76Error extends Error {
  readonly code: Hixie76FramingError;
  constructor(code: Hixie76FramingError) {
    super(`wsgate: draft-76 connection failed: ${code}`);
    this.code = code;
  }
}

export interface Hixie76SocketEvents {
  message: [text: string, isBinary: false];
  close: [code: number, reason: Buffer];
  error: [error: Hixie76Error];
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

/** RFC 6455 §7.4.1 codes, as ws reports them: 1005 no status received, 1006 abnormal closure. */
const CLEAN_CLOSE = 1005;
const ABNORMAL_CLOSE = 1006;
const FAILURE_CODES: Record<Hixie76FramingError, number> = {
  UNKNOWN_FRAME_TYPE: 1002,
  INVALID_UTF8: 1007,
  MESSAGE_TOO_BIG: 1009,
};
const EMPTY = Buffer.alloc(0);
const DEFAULT_CLOSE_TIMEOUT = 30_000;

export class Hixie76Socket extends EventEmitter<Hixie76SocketEvents> {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  /** The agreed subprotocol, or '' (as ws). */
  readonly protocol: string;

  private state: number = OPEN;
  private closeFrameSent = false;
  private closeFrameReceived = false;
  private closeCode = ABNORMAL_CLOSE;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly reader: Hixie76Reader;
  private readonly closeTimeout: number;

  /**
   * `socket` has had the whole handshake written (101 head and challenge response); `head` holds the
   * client's bytes read past its /key_3/, which are frames (a client may send them without waiting).
   */
  constructor(
    private readonly socket: Duplex,
    head: Buffer,
    options: Hixie76SocketOptions,
  ) {
    super();
    const { maxPayload, protocol, closeTimeout = DEFAULT_CLOSE_TIMEOUT } = options;
    if (!Number.isSafeInteger(maxPayload) || maxPayload < 0) {
      throw new TypeError('wsgate: Hixie76Socket option maxPayload must be a non-negative integer');
    }
    if (!(closeTimeout > 0 && closeTimeout < 2 ** 31)) {
      throw new TypeError('wsgate: Hixie76Socket option closeTimeout must be a positive number of ms');
    }
    this.protocol = protocol ?? '';
    this.closeTimeout = closeTimeout;
    this.reader = new Hixie76Reader(maxPayload);

    // As ws's setSocket: no idle timeout from the handshake, no Nagle delay, `head` read before new data.
    const net = socket as Partial<Socket>;
    net.setTimeout?.(0);
    net.setNoDelay?.();
    if (head.length > 0) socket.unshift(head);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.resume(); // this object is the reader now, even if the transport paused the socket to read key3
    if (socket.destroyed) process.nextTick(this.onClose);
  }

  get readyState(): number {
    return this.state;
  }

  /** Bytes queued on the socket and not yet written. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /**
   * Sends one text message (§5.3: 0x00, the UTF-8 bytes, 0xFF). As ws: when the connection is not open
   * nothing is sent and `callback`, if given, gets an Error on the next tick.
   *
   * ws's `send(data, options, callback)` is accepted, so that a handler written for ws (the usual echo,
   * `socket.send(data, { binary: isBinary })`, with `isBinary` always false here) runs unchanged; but
   * what draft-76 cannot carry is a TypeError, never a different message: `binary: true` (no binary
   * frames) and `fin: false` (no fragments). `compress` and `mask` mean nothing here and are ignored.
   */
  send(text: string, options?: Hixie76SendOptions | SendCallback, callback?: SendCallback): void {
    if (typeof text !== 'string') {
      throw new TypeError('wsgate: a draft-76 connection carries only text; send() takes a string');
    }
    if (typeof options === 'function') callback = options;
    else if (options?.binary === true || options?.fin === false) {
      throw new TypeError(
        `wsgate: a draft-76 connection has no ${options.binary === true ? 'binary messages' : 'fragments'}; send() option ${options.binary === true ? 'binary: true' : 'fin: false'} is refused`,
      );
    }
    if (this.state !== OPEN) {
      if (callback !== undefined) process.nextTick(callback, notOpen(this.state));
      return;
    }
    this.socket.write(encodeHixie76Text(text), callback);
  }

  /**
   * Starts the closing handshake (§5.3): sends 0xFF 0x00 and waits for the client's 0xFF 0x00 or
   * `closeTimeout`, then closes the connection. Arguments (ws's code and reason) are accepted and
   * ignored: draft-76 has no place for them.
   */
  close(_code?: number, _reason?: string | Buffer): void {
    if (this.state === CLOSED) return;
    if (this.state === OPEN) {
      this.state = CLOSING;
      this.sendCloseFrame();
    }
    if (this.closeFrameReceived) this.socket.end();
    this.armCloseTimer();
  }

  /** Destroys the connection at once, without a closing handshake. */
  terminate(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSING;
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const event of this.reader.push(chunk)) {
      if (this.socket.destroyed) return; // terminated from a handler
      if (event.type === 'message') this.emit('message', event.text, false);
      else if (event.type === 'close') this.onCloseFrame();
      else this.fail(event.code);
    }
  };

  /**
   * §5.3: the client's 0xFF 0x00. Answered in kind unless we started the handshake, then the connection
   * is closed; whatever the client sends after it is discarded (the reader is done).
   */
  private onCloseFrame(): void {
    this.closeFrameReceived = true;
    this.closeCode = CLEAN_CLOSE;
    if (this.state === OPEN) this.state = CLOSING;
    this.sendCloseFrame();
    this.socket.end();
    this.armCloseTimer();
  }

  /** The client's bytes were refused: tell listeners, then drop the connection without a handshake. */
  private fail(code: Hixie76FramingError): void {
    this.closeCode = FAILURE_CODES[code];
    this.state = CLOSING;
    if (this.listenerCount('error') > 0) this.emit('error', new Hixie76Error(code));
    this.socket.destroy();
  }

  private sendCloseFrame(): void {
    if (this.closeFrameSent || !this.socket.writable) return;
    this.closeFrameSent = true;
    this.socket.write(HIXIE76_CLOSE_FRAME);
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.state === CLOSED) return;
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeTimeout);
  }

  /** The client ended its side: end ours (a half-open socket would otherwise linger). */
  private readonly onEnd = (): void => {
    if (this.state === OPEN) this.state = CLOSING;
    this.socket.end();
    this.armCloseTimer();
  };

  /** Socket errors (a reset, a write after the peer left) end the connection; they are never thrown. */
  private readonly onError = (): void => {
    if (this.state === OPEN) this.state = CLOSING;
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    clearTimeout(this.closeTimer);
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.emit('close', this.closeCode, EMPTY);
  };
}

function notOpen(state: number): Error {
  return new Error(`WebSocket is not open: readyState ${state} (${STATE_NAMES[state]})`);
}
