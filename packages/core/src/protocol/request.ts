/** What every layer may name about a request: which protocol carried it, and Node's object for it. */

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';

/** Which protocol carried the handshake: an HTTP/1.1 upgrade (RFC 6455), an HTTP/2 extended CONNECT (RFC 8441), or the legacy draft-hixie-76. */
export type TransportName = 'http/1.1' | 'h2' | 'hixie-76';

/** The request as node:http, or node:http2's compatibility API, presents it. */
export type UpgradeRequest = IncomingMessage | Http2ServerRequest;
