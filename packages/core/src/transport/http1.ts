/**
 * RFC 6455 over an HTTP/1.1 upgrade: the request's facts read off Node's parsed request, a rejection
 * written as a complete response before the connection ends, an acceptance as a 101 after which ws
 * takes the socket with every byte the client already sent.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { WireFacts } from '../decision/facts.js';
import { startWebSocket } from '../engine/ws.js';
import type { HeaderLines } from '../http/raw-headers.js';
import { Rejection } from '../protocol/rejection.js';
import type { TransportName } from '../protocol/request.js';
import { acceptKey, checkOpeningHandshake } from '../protocol/rfc6455.js';
import { closeAfterFlush, formatAcceptance, formatRejection } from './http1-head.js';
import { PendingSocket } from './pending-socket.js';
import type { Transport } from './transport.js';

/** The facts of an HTTP/1 request (this transport's and the legacy one's). */
export class Http1Wire implements WireFacts {
  readonly transport: TransportName;
  readonly request: IncomingMessage;
  readonly headers: HeaderLines;
  readonly hostHeader: string;
  readonly authority: string;
  readonly #socket: Duplex;

  constructor(transport: TransportName, request: IncomingMessage, socket: Duplex, host: string, authority: string) {
    this.transport = transport;
    this.request = request;
    this.headers = request.rawHeaders;
    this.hostHeader = host;
    this.authority = authority;
    this.#socket = socket;
  }

  get encrypted(): boolean {
    return (this.#socket as Partial<TLSSocket>).encrypted === true;
  }

  get peerAddress(): string | undefined {
    return (this.#socket as Partial<TLSSocket>).remoteAddress;
  }
}

/**
 * RFC 9112 §3.2.2: a request in absolute form names its target's authority, and a server MUST then
 * ignore Host in favour of it. Undefined for the usual origin form; '' for an absolute form without a
 * usable authority (userinfo, or none), which the Host check refuses.
 */
export function absoluteFormAuthority(target: string | undefined): string | undefined {
  if (target === undefined || target.startsWith('/')) return undefined;
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(target);
  if (match === null) return undefined;
  const authority = match[1] as string;
  return authority.includes('@') ? '' : authority;
}

export class Http1Transport implements Transport {
  readonly #request: IncomingMessage;
  readonly #pending: PendingSocket;
  #wire: Http1Wire | undefined;
  #key = '';

  constructor(request: IncomingMessage, socket: Duplex, head: Buffer) {
    this.#request = request;
    this.#pending = new PendingSocket(socket, head);
  }

  /** RFC 6455 §4.2.1, and RFC 9112 §3.2.2 for the authority: a Rejection when this is not a valid handshake. */
  check(): Rejection | undefined {
    const request = this.#request;
    const checked = checkOpeningHandshake({
      method: request.method ?? '',
      httpVersionMajor: request.httpVersionMajor,
      httpVersionMinor: request.httpVersionMinor,
      headers: request.rawHeaders,
    });
    if (checked instanceof Rejection) return checked;
    this.#key = checked.key;
    const authority = absoluteFormAuthority(request.url) ?? checked.host;
    this.#wire = new Http1Wire('http/1.1', request, this.#pending.socket, checked.host, authority);
    return undefined;
  }

  /** The facts, once `check` passed. */
  get wire(): Http1Wire {
    if (this.#wire === undefined) throw new Error('wsgate: Http1Transport.wire read before check()');
    return this.#wire;
  }

  readonly name = 'http/1.1' as const;

  get request(): IncomingMessage {
    return this.#request;
  }

  watch(gone: () => void): void {
    this.#pending.watch(gone);
  }

  unwatch(): void {
    this.#pending.unwatch();
  }

  abandon(): void {
    this.#pending.socket.destroy();
  }

  reject(rejection: Rejection): void {
    closeAfterFlush(this.#pending.socket, formatRejection(rejection, this.#request.method));
  }

  /** RFC 6455 §4.2.2 (5): the 101, then ws reads frames from the bytes that followed the request. */
  accept(accept: Accept): WebSocket {
    const head = formatAcceptance(
      'HTTP/1.1 101 Switching Protocols',
      {
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Accept': acceptKey(this.#key),
        'Sec-WebSocket-Protocol': accept.protocol,
        'Sec-WebSocket-Extensions': accept.deflate?.header,
      },
      accept.headers,
    );
    const pending = this.#pending;
    pending.socket.write(head);
    const websocket = startWebSocket(
      pending.socket,
      pending.takeBytes(),
      accept.protocol,
      accept.deflate,
      accept.frames,
    );
    pending.handOver();
    return websocket;
  }
}
