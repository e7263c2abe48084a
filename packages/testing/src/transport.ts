/**
 * How a test client reaches the server: an in-memory socket pair handed to the server as a new connection
 * (the default), or a real TCP connection to a listener on 127.0.0.1 (to compare the two, or for code that
 * needs a real socket). Either way the bytes go through Node's HTTP parser and the server's 'upgrade' event.
 */

import type { Server } from 'node:http';
import { type AddressInfo, connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { socketPair } from '@wsgate/core/adapter';
import { opened } from './registry.js';
import { serverOf, type TestTarget } from './target.js';

export type Transport = 'memory' | 'tcp';

/**
 * The addresses an in-memory connection claims, for code that reads them: `request.socket.remoteAddress`
 * (`quotaPerIp`, `req.ip`) or `localPort` (a Host policy tied to the listening port). By default the client
 * is a loopback one (`127.0.0.1`, IPv4, an ephemeral port: `socketPair`) and the local ones are undefined,
 * as for a socket without an address; the core's default Host policy then treats the server as not loopback
 * (any well-formed Host is served), exactly as for a Unix socket.
 */
export interface ConnectionAddresses {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}

export interface ConnectionOptions {
  /** `'memory'` (default): no port. `'tcp'`: the server listens on 127.0.0.1, port 0, until `closeAll()`. */
  transport?: Transport;
  /** In memory only: the addresses the server sees on the connection. */
  connection?: ConnectionAddresses;
}

/** A connected client-side stream to `target`'s server. */
export async function connectTo(target: TestTarget, options: ConnectionOptions = {}): Promise<Duplex> {
  const { transport = 'memory', connection } = options;
  const server = await serverOf(target);
  if (transport === 'tcp') {
    if (connection !== undefined) {
      throw new TypeError('@wsgate/testing: `connection` addresses apply to the in-memory transport only');
    }
    const { address, port } = await listening(server);
    const socket = tcpConnect(port, address);
    opened.addConnection(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    return socket;
  }
  if (transport !== 'memory') throw new TypeError(`@wsgate/testing: transport must be 'memory' or 'tcp'`);
  const [client, serverSide] = socketPair();
  if (connection !== undefined) describeConnection(serverSide, connection);
  opened.addConnection(client);
  server.emit('connection', serverSide);
  return client;
}

const ADDRESS_KEYS = ['localAddress', 'localPort', 'remoteAddress', 'remotePort'] as const;

function describeConnection(socket: Duplex, addresses: ConnectionAddresses): void {
  for (const key of ADDRESS_KEYS) {
    const value = addresses[key];
    if (value === undefined) continue;
    const expected = key.endsWith('Port') ? 'number' : 'string';
    if (typeof value !== expected) throw new TypeError(`@wsgate/testing: connection.${key} must be a ${expected}`);
    Object.defineProperty(socket, key, { value, enumerable: true });
  }
  if (addresses.remoteAddress !== undefined) {
    const family = addresses.remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
    Object.defineProperty(socket, 'remoteFamily', { value: family, enumerable: true });
  }
}

/** Listeners the kit started, closed by `closeListeners`. */
const started = new Map<Server, Promise<AddressInfo>>();

/** Where to reach `server` over TCP: its own address if it listens already, else 127.0.0.1 on a free port. */
function listening(server: Server): Promise<AddressInfo> {
  const existing = started.get(server);
  if (existing !== undefined && server.listening) return existing;
  if (server.listening) return Promise.resolve(reachable(server.address() as AddressInfo));
  const address = new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  started.set(server, address);
  return address;
}

function reachable(address: AddressInfo): AddressInfo {
  if (address.address === '::' || address.address === '0.0.0.0') return { ...address, address: '127.0.0.1' };
  return address;
}

/** Closes the listeners the kit started (and their connections). */
export async function closeListeners(): Promise<void> {
  const servers = [...started.keys()];
  started.clear();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
