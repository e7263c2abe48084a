/**
 * Which transport reads an HTTP/1.1 upgrade: RFC 6455, or the legacy draft-hixie-76 handshake when the
 * request is one (a route must still enable it: pipeline.ts answers 426 otherwise).
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isHixie76Request } from '../protocol/hixie76.js';
import { Hixie76Transport } from './hixie76.js';
import { Http1Transport } from './http1.js';
import type { Transport } from './transport.js';

export function chooseHttp1Transport(request: IncomingMessage, socket: Duplex, head: Buffer): Transport {
  if (isHixie76Request(request.rawHeaders)) return new Hixie76Transport(request, socket, head);
  return new Http1Transport(request, socket, head);
}
