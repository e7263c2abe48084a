/**
 * An HTTP/2 stream as ws's socket. ws needs nothing but a Duplex (its `setSocket` works on a
 * ServerHttp2Stream as it is), but two of its habits mean something else on a stream, RFC 8441 §5:
 *
 *   - "RST exceptions are represented with the RST_STREAM frame ... with the CANCEL error code": ws aborts
 *     a connection with `socket.destroy()` (terminate, its close timer, a protocol error), and Node resets
 *     a stream destroyed without an error with NO_ERROR. An abort becomes RST_STREAM(CANCEL).
 *   - "Orderly TCP-level closures are represented as END_STREAM flags": after the closing handshake ws
 *     ends its side and waits for the peer's END_STREAM. A peer that never sends it would hold the stream
 *     until ws's close timer; as a server closes the TCP connection first (RFC 6455 §7.1.1), the stream is
 *     closed a moment after our END_STREAM, with NO_ERROR, unless the peer's arrived meanwhile.
 *
 * And one of Node's: a peer's RST_STREAM with a code other than NO_ERROR or CANCEL is destroyed with an
 * ERR_HTTP2_STREAM_ERROR 'error'. That is the client aborting (the RST of §5), which ws reads from 'close'
 * alone; the error would also reach whoever still listens on the stream, and an app's compat response
 * is watched there (Koa's on-finished, through `response.socket`), so `app.on('error')` would report a
 * client's reset of a WebSocket as a server error. (Node 22 and 26's clients send such a reset from
 * `stream.close(code)`; 20 and 24's end their side first, which hid this.)
 */

import { constants, type ServerHttp2Stream } from 'node:http2';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = constants;

/** How long a peer has to send its END_STREAM after ours, before the stream is closed for it. */
const END_STREAM_GRACE_MS = 1_000;

/** Applies both before ws takes the stream. */
export function adaptStreamForWebSocket(stream: ServerHttp2Stream, graceMs = END_STREAM_GRACE_MS): void {
  const destroyStream = stream._destroy;
  stream._destroy = function destroyQuietlyOnPeerReset(this: ServerHttp2Stream, error, callback) {
    // `error` is null when Node destroys the stream for a reset; its own error comes from the code.
    destroyStream.call(this, error, (reported) => callback(error == null ? null : reported));
  };
  const destroy = stream.destroy;
  stream.destroy = function destroyWithCancel(this: ServerHttp2Stream, error?: Error) {
    if (error == null && !this.closed && !this.destroyed) this.close(NGHTTP2_CANCEL);
    return destroy.call(this, error);
  };
  // ws ends its side only once both close frames are exchanged (or the peer ended first, or its reader
  // failed and it closes anyway): our 'finish' is that moment.
  stream.once('finish', () => {
    if (stream.closed) return;
    const timer = setTimeout(() => {
      if (!stream.closed) stream.close(NGHTTP2_NO_ERROR);
    }, graceMs);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
  });
}
