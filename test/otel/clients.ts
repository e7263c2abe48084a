// The same three things asked of a server over HTTP/1.1 (ws, raw TCP) and HTTP/2 (an extended CONNECT by
// Node's http2 client): a WebSocket that opens, a refusal's status, and a client that leaves mid-handshake.
import { once } from 'node:events';
import http2 from 'node:http2';
import WebSocket from 'ws';
import { handshakeRequest, RawClient, sleep } from '../abuse/raw.js';
import { send } from '../contract/http.js';
import { closeSocket, openSession, openWebSocketH2, refusedH2, requestH2 } from '../h2/client.js';
import type { Protocol, TelemetryServer } from './servers.js';

export interface Client {
  /** Opens a WebSocket; `close()` closes it with 1000 and waits. */
  open(path: string): Promise<{ close(): Promise<void> }>;
  /** The status of a refused handshake. */
  refused(path: string): Promise<number>;
  /** Starts a handshake and goes away while it is pending. */
  abort(path: string): Promise<void>;
}

export function clientFor(protocol: Protocol, server: TelemetryServer): Client {
  return protocol === 'h2' ? h2Client(server) : http1Client(server);
}

function http1Client({ origin, port }: TelemetryServer): Client {
  return {
    async open(path) {
      const socket = new WebSocket(`${origin.replace('http', 'ws')}${path}`);
      await once(socket, 'open');
      return { close: () => closeSocket(socket) };
    },
    async refused(path) {
      const exchange = await send(port, { path });
      return exchange.responses[0]?.status ?? 0;
    },
    async abort(path) {
      const client = await RawClient.open(port);
      client.write(handshakeRequest(port, path));
      await sleep(50);
      client.destroy();
      await client.closed;
    },
  };
}

function h2Client({ origin }: TelemetryServer): Client {
  return {
    async open(path) {
      const { socket, session } = await openWebSocketH2(origin, path);
      return {
        async close() {
          await closeSocket(socket);
          session.close();
        },
      };
    },
    async refused(path) {
      const session = await openSession(origin);
      try {
        return (await refusedH2(origin, path, { session })).status;
      } finally {
        session.close();
      }
    },
    async abort(path) {
      const session = await openSession(origin);
      const { stream } = requestH2(session, path);
      await sleep(50);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await once(stream, 'close');
      session.close();
    },
  };
}
