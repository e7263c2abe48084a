/**
 * RFC 8441: a WebSocket over an HTTP/2 stream, bootstrapped by an extended CONNECT. The facts are read off
 * the request's pseudo-headers and header lines (`:authority` for Host, RFC 9113 §8.3.1; cookies may be
 * split into several fields, RFC 9113 §8.2.3, and are joined by the cookie reader); a rejection is a
 * complete response on the stream; the acceptance is a 200 with the chosen protocol and extensions and
 * no key or accept (RFC 8441 §5), after which ws takes the stream for frames.
 *
 * Only the stream ends: the connection carries other streams, the page's own requests among them.
 */

import { constants, type Http2ServerRequest, type ServerHttp2Stream } from 'node:http2';
import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { WireFacts } from '../decision/facts.js';
import { startWebSocket } from '../engine/ws.js';
import type { HeaderLines } from '../http/raw-headers.js';
import { Rejection } from '../protocol/rejection.js';
import type { TransportName } from '../protocol/request.js';
import { type ConnectRequest, checkExtendedConnect } from '../protocol/rfc8441.js';
import { adaptStreamForWebSocket } from './h2-socket.js';
import { h2HeaderBlock, h2RejectionBlock } from './http2-head.js';
import type { Transport } from './transport.js';

/** The facts of an extended CONNECT. */
export class Http2Wire implements WireFacts {
  readonly transport: TransportName = 'h2';
  readonly request: Http2ServerRequest;
  readonly headers: HeaderLines;
  readonly hostHeader: string;
  readonly authority: string;
  readonly #stream: ServerHttp2Stream;

  constructor(request: Http2ServerRequest, headers: HeaderLines, authority: string) {
    this.request = request;
    this.headers = headers;
    // RFC 8441 §5: :authority stands for Host; there is no absolute form to override it.
    this.hostHeader = authority;
    this.authority = authority;
    this.#stream = request.stream;
  }

  get encrypted(): boolean {
    return this.#stream.session?.encrypted === true;
  }

  get peerAddress(): string | undefined {
    return this.#stream.session?.socket?.remoteAddress;
  }
}

/** The pseudo-header fields (`:name`) apart from the regular lines, which the rules read as on HTTP/1.1. */
function splitHeaderLines(raw: readonly string[]): { pseudo: Map<string, string>; regular: string[] } {
  const pseudo = new Map<string, string>();
  const regular: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.startsWith(':')) {
      if (!pseudo.has(name)) pseudo.set(name, value);
    } else {
      regular.push(name, value);
    }
  }
  return { pseudo, regular };
}

export class Http2Transport implements Transport {
  readonly name = 'h2' as const;
  readonly request: Http2ServerRequest;
  /** One session carries many extended CONNECTs: each has its share of the cap on handshakes in flight. */
  readonly connection: object | undefined;
  readonly #stream: ServerHttp2Stream;
  #wire: Http2Wire | undefined;
  #gone: (() => void) | undefined;
  #wrote = false;

  constructor(request: Http2ServerRequest) {
    this.request = request;
    this.#stream = request.stream;
    this.connection = request.stream.session;
    // A reset while we answer is the client's business; without a listener a code other than NO_ERROR or
    // CANCEL would be thrown (Node emits 'error' for those). The 'close' that follows is what we watch.
    this.#stream.on('error', ignoreStreamError);
  }

  /** RFC 8441 §4-5 (handshake/rfc8441.ts): a Rejection when this is not a WebSocket handshake we can take. */
  check(): Rejection | undefined {
    const stream = this.#stream;
    const { pseudo, regular } = splitHeaderLines(this.request.rawHeaders);
    const request: ConnectRequest = {
      method: pseudo.get(':method'),
      protocol: pseudo.get(':protocol'),
      scheme: pseudo.get(':scheme'),
      path: pseudo.get(':path'),
      authority: pseudo.get(':authority'),
      headers: regular,
      encrypted: stream.session?.encrypted === true,
      endStream: stream.endAfterHeaders,
    };
    const checked = checkExtendedConnect(request);
    if (checked instanceof Rejection) return checked;
    this.#wire = new Http2Wire(this.request, regular, checked.authority);
    return undefined;
  }

  /** Whether this transport answered on the stream (an app's compat response may answer there too). */
  get wrote(): boolean {
    return this.#wrote;
  }

  get wire(): Http2Wire {
    if (this.#wire === undefined) throw new Error('wsgate: Http2Transport.wire read before check()');
    return this.#wire;
  }

  /** The stream closes when the client resets it or the connection goes (Node then resets it with CANCEL). */
  watch(gone: () => void): void {
    const stream = this.#stream;
    this.#gone = gone;
    stream.on('close', gone);
    if (stream.closed || stream.destroyed) gone();
  }

  unwatch(): void {
    if (this.#gone === undefined) return;
    this.#stream.removeListener('close', this.#gone);
    this.#gone = undefined;
  }

  /**
   * RST_STREAM(CANCEL), RFC 9113 §8.7 ("the response is no longer of interest"): the answer the app began
   * is dropped with the stream, and the flow-control window the client never opened holds nothing more.
   * Only this stream: the session carries the client's other requests.
   */
  abandon(): void {
    const stream = this.#stream;
    if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
  }

  /**
   * The rejection as a complete response; Node then resets the unread stream with NO_ERROR (RFC 9113 §8.1:
   * the client need not send more). Nothing is written on a stream that is gone or already answered.
   */
  reject(rejection: Rejection): void {
    const stream = this.#stream;
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    const block = h2RejectionBlock(rejection);
    const bytes = rejection.status === 304 ? EMPTY : rejection.payload.bytes;
    if (bytes.length === 0) {
      stream.respond(block, { endStream: true });
    } else {
      stream.respond(block);
      stream.end(bytes);
    }
    this.#wrote = true;
  }

  /** RFC 8441 §5: "If the server agrees to the WebSocket connection", 200; then the stream is ws's socket. */
  accept(accept: Accept): WebSocket {
    const stream = this.#stream;
    const block = h2HeaderBlock(
      'handshake',
      200,
      { 'sec-websocket-protocol': accept.protocol, 'sec-websocket-extensions': accept.deflate?.header },
      accept.headers,
    );
    stream.respond(block);
    this.#wrote = true;
    adaptStreamForWebSocket(stream);
    stream.removeListener('error', ignoreStreamError); // ws's own handling from here on
    return startWebSocket(stream, EMPTY, accept.protocol, accept.deflate, accept.frames);
  }
}

const EMPTY = Buffer.alloc(0);

function ignoreStreamError(): void {}
