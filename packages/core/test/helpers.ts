// Real sockets on 127.0.0.1, port 0: a server with a gate attached, raw TCP requests, and clean-up.
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createGate, type Gate, type GateOptions } from '../src/index.js';

export interface TestServer {
  gate: Gate;
  server: http.Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

const open: TestServer[] = [];

export async function startServer(configure: (gate: Gate) => void, options: GateOptions = {}): Promise<TestServer> {
  const gate = createGate(options);
  configure(gate);
  const server = http.createServer((_request, response) => response.end('http'));
  gate.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const handle: TestServer = {
    gate,
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    async close() {
      await gate.close({ timeout: 500 });
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  open.push(handle);
  return handle;
}

export async function closeServers(): Promise<void> {
  await Promise.all(open.splice(0).map((server) => server.close()));
}

export interface RawResponse {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection (it always must after a rejection). */
  closed: boolean;
  raw: string;
}

/** A valid key (base64 of 16 bytes). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A complete, valid handshake request to `port`, with header lines replaced or added by `extra`. */
export function handshakeRequest(
  port: number,
  extra: Record<string, string | string[] | null> = {},
  requestLine = 'GET /ws HTTP/1.1',
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

/**
 * Sends raw bytes and collects everything until the server closes, or until `waitMs` passes after the
 * response head for an accepted upgrade (then the client closes and `closed` is false).
 */
export function rawExchange(port: number, request: string | Buffer, waitMs = 3_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => {
      socket.destroy();
    }, waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      closedByServer = true;
    });
    socket.on('error', () => {
      closedByServer = true;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd === -1) return reject(new Error(`no response head; got ${JSON.stringify(raw)}`));
      const [statusLine = '', ...lines] = raw.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        statusLine,
        headers,
        body: raw.slice(headEnd + 4),
        closed: closedByServer,
        raw,
      });
    });
    socket.write(request);
  });
}

/** Waits until `predicate` holds, polling; fails after `ms`. For state that settles after a socket event. */
export async function eventually(predicate: () => boolean, ms = 2_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
