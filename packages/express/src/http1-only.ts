/**
 * Express on a node:http2 server. Express 4 and 5 cannot serve a request of Node's HTTP/2 compatibility API:
 * they give the request http.IncomingMessage's prototype, which knows nothing of an Http2ServerRequest's
 * state, and its first read throws `TypeError: Cannot read properties of undefined (reading 'readable')` as
 * an unhandled 'error': the process exits. So an Express app is never the request listener of such a server
 * on its own; `http1Only(app)` is:
 *
 *   http2.createSecureServer({ allowHTTP1: true, key, cert }, http1Only(app))
 *
 * HTTP/1.x requests (and, through `app.wsgate.attach(server)`, WebSocket upgrades) go to the app; an HTTP/2
 * request is refused with RST_STREAM(HTTP_1_1_REQUIRED) (RFC 9113 §7, 0xd: "The endpoint requires that
 * HTTP/1.1 be used instead of HTTP/2"), on which a browser retries it on an HTTP/1.1 connection.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';

/** A request listener for a node:http2 server with allowHTTP1 that gives the app HTTP/1.x requests only. */
export function http1Only(
  app: (request: IncomingMessage, response: ServerResponse) => void,
): (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => void {
  if (typeof app !== 'function') throw new TypeError('http1Only(app): app must be an Express application');
  return (request, response) => {
    if (request.httpVersionMajor >= 2) {
      (request as Http2ServerRequest).stream.close(constants.NGHTTP2_HTTP_1_1_REQUIRED);
      return;
    }
    app(request as IncomingMessage, response as ServerResponse);
  };
}
