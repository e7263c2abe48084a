// A gate attached to a real node:http2 server over TLS on 127.0.0.1, with HTTP/1.1 fallback, and the
// HTTP/2 client sessions a test opens, all closed at the end.
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { testCredentials } from '../../../test/h2/cert.js';
import { openSession } from '../../../test/h2/client.js';
import { createGate, type Gate, type GateOptions } from '../src/index.js';

export interface H2TestServer {
  gate: Gate;
  server: http2.Http2SecureServer;
  port: number;
  /** `https://localhost:PORT`: a loopback name the default Host policy serves, and the page's origin. */
  origin: string;
  /** A client session to this server, closed with the server. */
  session(): Promise<http2.ClientHttp2Session>;
  close(): Promise<void>;
}

export interface H2ServerOptions {
  /** The server's 'request' listener; none gives a server on the 'stream' API. Default: answers "page". */
  request?: ((request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void) | null;
  attach?: { http2?: boolean };
  /** Whether to attach the gate at all. Default true. */
  attached?: boolean;
}

const open: H2TestServer[] = [];

export async function startH2Server(
  configure: (gate: Gate) => void,
  options: GateOptions = {},
  serverOptions: H2ServerOptions = {},
): Promise<H2TestServer> {
  const gate = createGate(options);
  configure(gate);
  const credentials = await testCredentials();
  const request = serverOptions.request === undefined ? page : serverOptions.request;
  const server =
    request === null
      ? http2.createSecureServer({ ...credentials, allowHTTP1: true })
      : http2.createSecureServer({ ...credentials, allowHTTP1: true }, request);
  if (serverOptions.attached !== false) gate.attach(server, serverOptions.attach);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const origin = `https://localhost:${port}`;
  const sessions: http2.ClientHttp2Session[] = [];
  const handle: H2TestServer = {
    gate,
    server,
    port,
    origin,
    async session() {
      const session = await openSession(origin);
      sessions.push(session);
      return session;
    },
    async close() {
      await gate.close({ timeout: 500 });
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  open.push(handle);
  return handle;
}

export async function closeH2Servers(): Promise<void> {
  await Promise.all(open.splice(0).map((server) => server.close()));
}

function page(_request: http2.Http2ServerRequest, response: http2.Http2ServerResponse): void {
  response.end('page');
}
