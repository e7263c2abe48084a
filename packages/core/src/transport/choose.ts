/**
 * Which transport reads an HTTP/1.1 upgrade: RFC 6455, or the legacy draft-hixie-76 handshake when the
 * request is one (a route must still enable it: pipeline.ts answers 426 otherwise).
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Http1Transport } from './http1.js';
import type { Transport } from './transport.js';

export function chooseHttp1Transport(request: IncomingMessage, socket: Duplex, head: Buffer): Transport {
  return new Http1Transport(request, socket, head);
}
