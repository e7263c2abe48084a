// Raw bytes for the cases a ws client cannot produce: a request and a frame in one write, an abort.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

/** A valid opening handshake for `path`, as one string of bytes. */
export function handshakeRequest(path: string, headers: Record<string, string> = {}): string {
  const lines = {
    Host: 'localhost',
    Origin: 'http://localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(lines)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/** A masked (client-to-server, RFC 6455 §5.3) text frame of a short payload. */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new RangeError('short frames only');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Resolves with the response's status line once the head has arrived. */
export function statusLine(connection: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        connection.removeListener('data', onData);
        resolve(received.slice(0, end));
      }
    };
    connection.on('data', onData);
    connection.once('error', reject);
    connection.once('close', () => reject(new Error(`closed before a status line; got ${JSON.stringify(received)}`)));
  });
}

/** Waits until `condition()` holds, checking on every turn of the event loop (no speed is asserted). */
export async function until(condition: () => boolean, what: string, timeout = 3_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
