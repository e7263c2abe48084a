// What every interop file needs: a server on 127.0.0.1 port 0, a real `ws` client that reports the 101's
// headers or the refusal as the server wrote it, cookies carried between requests, and a watch on stderr.
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';

export interface Listening {
  readonly server: Server;
  readonly base: string;
  readonly ws: string;
  close(): Promise<void>;
}

export async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Opened = {
  readonly kind: 'opened';
  readonly headers: IncomingHttpHeaders;
  readonly socket: WebSocket;
  /** The first message the handler sent. */
  readonly first: string;
};
export type Refused = {
  readonly kind: 'refused';
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
};

export interface HandshakeOptions {
  cookie?: string;
  origin?: string | null;
  protocols?: string[];
  headers?: Record<string, string>;
}

/** A handshake with `ws`, as a browser on the server's own origin would make it (Origin, cookies). */
export function handshake(url: string, options: HandshakeOptions = {}): Promise<Opened | Refused> {
  const origin = options.origin === undefined ? new URL(url.replace(/^ws/, 'http')).origin : options.origin;
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.Cookie = options.cookie;
  const socket = new WebSocket(url, options.protocols ?? [], { headers, ...(origin === null ? {} : { origin }) });
  return new Promise((resolve, reject) => {
    let upgradeHeaders: IncomingHttpHeaders = {};
    socket.once('upgrade', (response: IncomingMessage) => {
      upgradeHeaders = response.headers;
    });
    socket.once('message', (data) => resolve({ kind: 'opened', headers: upgradeHeaders, socket, first: String(data) }));
    socket.once('unexpected-response', (request, response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        resolve({
          kind: 'refused',
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString(),
        });
        request.destroy();
      });
    });
    socket.once('error', reject);
  });
}

/** Expects a 101 and the handler's first message; closes the socket. */
export async function opened(url: string, options?: HandshakeOptions): Promise<Opened> {
  const result = await handshake(url, options);
  if (result.kind !== 'opened') throw new Error(`expected a 101, got ${result.status}: ${result.body}`);
  result.socket.close();
  return result;
}

export async function refused(url: string, options?: HandshakeOptions): Promise<Refused> {
  const result = await handshake(url, options);
  if (result.kind !== 'refused') {
    result.socket.close();
    throw new Error(`expected a refusal, got a 101 (first message ${result.first})`);
  }
  return result;
}

/** `name=value` pairs of Set-Cookie lines, merged over `cookie` (a later value replaces an earlier one). */
export function withCookies(cookie: string | undefined, setCookie: string | string[] | undefined): string {
  const jar = new Map<string, string>();
  for (const pair of (cookie ?? '').split(/;\s*/)) {
    const at = pair.indexOf('=');
    if (at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  for (const line of [setCookie ?? []].flat()) {
    const pair = line.split(';')[0] as string;
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** An HTTP request with fetch; the cookie jar is the caller's. */
export async function request(
  url: string,
  init: { method?: string; cookie?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; setCookie: string[]; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie) headers.Cookie = init.cookie;
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    redirect: 'manual',
  });
  return {
    status: response.status,
    body: await response.text(),
    setCookie: response.headers.getSetCookie(),
    headers: response.headers,
  };
}

/**
 * Everything written to stderr (console.error, console.warn, loggers writing there) while the suite runs,
 * for the "nothing on stderr" assertions: a middleware's validation warning, an app's error log. Node's process
 * warnings are left to vitest.setup.ts.
 */
export function watchStderr(): { readonly lines: string[]; restore(): void } {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    // Node's own process warnings ("(node:PID) [DEP0115] …") are judged by vitest.setup.ts, which fails a test
    // for one raised by our code and lets a dependency's pass (keygrip's tsscmp under --pending-deprecation).
    if (!/^\(node:\d+\) /.test(String(chunk))) lines.push(String(chunk));
    return (write as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  // vitest routes console output around process.stderr: console.error and console.warn are watched too.
  const { error, warn } = console;
  console.error = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
    error.apply(console, args);
  };
  console.warn = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
    warn.apply(console, args);
  };
  return {
    lines,
    restore() {
      process.stderr.write = write;
      console.error = error;
      console.warn = warn;
    },
  };
}
