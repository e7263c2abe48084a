// The abuse suite's raw client against a server that resets the connection instead of closing it with a FIN:
// what Node's http server does when it writes its 408/400/431 and closes a socket whose peer's last bytes
// are still unread (the kernel then sends RST, RFC 2525 §2.17). That is the server closing the connection,
// and it must not fail the test that sees it, nor every later one (issue #28).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyClients, exchange, RawClient } from './raw.js';

const servers: net.Server[] = [];

afterEach(async () => {
  await destroyClients();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A server that, once a request's first bytes arrive, writes `answer` (if any) and then resets. */
async function resettingServer(answer?: string): Promise<number> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      if (answer === undefined) socket.resetAndDestroy();
      else socket.write(answer, () => socket.resetAndDestroy());
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('RawClient against a server that resets', () => {
  it('an answer then a reset: the answer is read and the server closed the connection', async () => {
    // Node 24 and 26 (libuv 1.52) report this reset as ECONNRESET; Node 22 (libuv 1.51) reads it as an EOF.
    const port = await resettingServer('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    const client = await exchange(port, 'GET / HTTP/1.1\r\n');
    expect(client.status).toBe(408);
    expect(client.endedByServer).toBe(true);
  });

  it('a reset with no answer: the server closed the connection, nothing received', async () => {
    const port = await resettingServer();
    const client = await exchange(port, 'GET / HTTP/1.1\r\n');
    expect(client.text).toBe('');
    expect(client.endedByServer).toBe(true);
  });

  it('a client whose connection was reset is forgotten: the cleanup after the test does not fail', async () => {
    const port = await resettingServer();
    const client = await RawClient.open(port);
    client.write('GET / HTTP/1.1\r\n');
    await new Promise((resolve) => client.socket.once('close', resolve));
    await expect(destroyClients()).resolves.toBeUndefined();
  });
});
