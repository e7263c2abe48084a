// A raw TCP client for the abuse suite: it writes whatever bytes it is given and reads everything the
// server sends (reading is what lets it see the server's FIN). Every client is destroyed by `destroyClients`.
import { once } from 'node:events';
import net from 'node:net';

/** A valid key (base64 of 16 bytes). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A complete, valid handshake request for `path` on `port`, with `extra` header lines after the usual ones. */
export function handshakeRequest(port: number, path = '/ws', extra: Record<string, string> = {}): string {
  let text =
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`;
  for (const [name, value] of Object.entries(extra)) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** Bytes that are neither HTTP nor WebSocket frames (a 0x00 first: a continuation frame out of nowhere). */
export const GARBAGE = '\x00\xff garbage '.repeat(1000);

/** A masked client text frame (RFC 6455 §5.2) with a payload under 64 KiB. */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const length = payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, 0, 0]);
  if (payload.length >= 126) length.writeUInt16BE(payload.length, 1);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81]), length, mask, masked]);
}

/** The payloads of the unmasked server frames in `bytes` (text or binary, unfragmented, under 64 KiB). */
export function serverPayloads(bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    let length = (bytes[at + 1] as number) & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (at + 4 > bytes.length) break;
      length = bytes.readUInt16BE(at + 2);
      start = at + 4;
    }
    if (start + length > bytes.length) break;
    out.push(bytes.subarray(start, start + length).toString());
    at = start + length;
  }
  return out;
}

const clients = new Set<RawClient>();

export class RawClient {
  readonly socket: net.Socket;
  #chunks: Buffer[] = [];
  #waiters = new Set<() => void>();
  /** The server sent its FIN or reset the connection. */
  endedByServer = false;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    clients.add(this);
    this.socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#wake();
    });
    this.socket.on('end', () => {
      this.endedByServer = true;
    });
    // A reset is the server closing too: Node's http server writes its 408/400/431 and closes at once, and
    // a request line still unread on its side then makes its kernel send RST instead of a FIN (RFC 2525
    // §2.17). Node 24 and 26 (libuv 1.52) report it as `read ECONNRESET` even after the answer was read.
    this.socket.on('error', () => {
      this.endedByServer = true;
    });
    // Not `once(socket, 'close')`, which rejects at an 'error': the client would then never leave `clients`,
    // and every later `destroyClients` would fail on it.
    this.closed = new Promise((resolve) => {
      this.socket.once('close', () => {
        clients.delete(this);
        this.#wake();
        resolve();
      });
    });
  }

  static async open(port: number): Promise<RawClient> {
    const client = new RawClient(port);
    await once(client.socket, 'connect');
    return client;
  }

  /** Writes bytes; a string is taken as latin1, one byte per character. */
  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Everything received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  get text(): string {
    return this.bytes.toString('latin1');
  }

  /** The status of the first response head received, 0 before one is complete. */
  get status(): number {
    const text = this.text;
    if (!text.includes('\r\n\r\n')) return 0;
    return Number(text.slice(0, text.indexOf('\r\n')).split(' ')[1]);
  }

  /** The first response head, lower-cased header names. */
  get head(): { statusLine: string; headers: Record<string, string> } {
    const text = this.text;
    const [statusLine = '', ...lines] = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { statusLine, headers };
  }

  /** The bytes after the first response head. */
  get afterHead(): Buffer {
    const bytes = this.bytes;
    const end = bytes.indexOf('\r\n\r\n');
    return end === -1 ? Buffer.alloc(0) : bytes.subarray(end + 4);
  }

  /** How many HTTP status lines the server wrote on this connection. */
  get responses(): number {
    return this.text.match(/HTTP\/1\.[01] \d{3} /g)?.length ?? 0;
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Resolves once `predicate` holds, checked on every chunk and at the close; fails after `ms`. */
  until(predicate: (client: RawClient) => boolean, ms = 5_000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this)) done();
        else if (this.socket.destroyed) done(new Error(`connection closed; got ${JSON.stringify(this.text)}`));
      };
      const timer = setTimeout(() => done(new Error(`condition not met; got ${JSON.stringify(this.text)}`)), ms);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** Resolves with the first response's status once its head is complete. */
  async response(ms = 5_000): Promise<number> {
    await this.until((client) => client.status !== 0, ms);
    return this.status;
  }

  /**
   * Resolves once the server has closed the connection, by a FIN or a reset (this side follows, allowHalfOpen
   * being false).
   */
  async serverClosed(ms = 5_000): Promise<void> {
    let kept = false;
    const timer = setTimeout(() => {
      kept = true;
      this.socket.destroy();
    }, ms);
    await this.closed;
    clearTimeout(timer);
    if (kept || !this.endedByServer) {
      throw new Error(`the server did not close the connection; got ${JSON.stringify(this.text)}`);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Sends `request` on a new connection and waits for the server to close it. */
export async function exchange(port: number, request: string | Buffer): Promise<RawClient> {
  const client = await RawClient.open(port);
  client.write(request);
  await client.serverClosed();
  return client;
}

export async function destroyClients(): Promise<void> {
  const open = [...clients];
  for (const client of open) client.destroy();
  await Promise.all(open.map((client) => client.closed));
}

/** Polls until `predicate` holds; fails after `ms` (a safety net for state that settles after socket events). */
export async function eventually(predicate: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`${what} not met in ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
