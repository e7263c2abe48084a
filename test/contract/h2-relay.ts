// A TCP relay between HTTP/2 clients and a server that can black-hole a connection: from then on nothing
// passes either way and nothing is closed, as when a client's machine drops off the network (no FIN, no
// reset). The server keeps a live TCP connection to a peer that never answers again.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';

export interface Relay {
  readonly port: number;
  /** Silences the relayed connection whose client end is `localPort` (the client socket's own port). */
  blackHole(localPort: number): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const links = new Map<number, { down: net.Socket; up: net.Socket }>();
  const relay = net.createServer((down) => {
    const up = net.connect(targetPort, '127.0.0.1');
    down.on('error', () => {});
    up.on('error', () => {});
    down.pipe(up);
    up.pipe(down);
    links.set(down.remotePort as number, { down, up });
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    port: (relay.address() as AddressInfo).port,
    blackHole(localPort) {
      const link = links.get(localPort);
      if (link === undefined) throw new Error(`no relayed connection from port ${localPort}`);
      link.down.unpipe(link.up);
      link.up.unpipe(link.down);
      link.down.pause();
      link.up.pause();
    },
    async close() {
      for (const { down, up } of links.values()) {
        down.destroy();
        up.destroy();
      }
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}
