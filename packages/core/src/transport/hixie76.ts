/**
 * The legacy draft-hixie-thewebsocketprotocol-76 handshake over an HTTP/1.1 upgrade ("§" is a section of
 * that draft). Off unless a route lists it in `legacy` (pipeline.ts answers 426 otherwise, as for any
 * version we do not speak). The same gate runs: Host, Origin, cookies, the app's middleware, the hook.
 *
 * Its proof of a real WebSocket client is a challenge: two keys in the headers and eight bytes after
 * them (§5.1), which may arrive with the request (`head`) or later; they are awaited under the handshake
 * deadline before the decision, and are never taken for frames. The acceptance is the draft's 101 with
 * the MD5 answer after its head (§5.2), then a socket with ws's basic surface (engine/hixie76.ts).
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import { Hixie76Socket } from '../engine/hixie76.js';
import { singleHeader } from '../http/raw-headers.js';
import {
  HIXIE76_KEY3_LENGTH,
  HIXIE76_STATUS_LINE,
  type Hixie76Keys,
  hixie76Challenge,
  hixie76Keys,
  hixie76OwnFields,
} from '../protocol/hixie76.js';
import { Rejection } from '../protocol/rejection.js';
import {
  checkConnection,
  checkHostPresent,
  checkHttpVersion,
  checkMethod,
  checkNoBody,
  checkUpgrade,
} from '../protocol/rfc6455.js';
import { absoluteFormAuthority, Http1Wire } from './http1.js';
import { closeAfterFlush, formatAcceptance, formatRejection } from './http1-head.js';
import { PendingSocket } from './pending-socket.js';
import type { Transport } from './transport.js';

export class Hixie76Transport implements Transport {
  readonly name = 'hixie-76' as const;
  readonly request: IncomingMessage;
  readonly #pending: PendingSocket;
  #wire: Http1Wire | undefined;
  #keys: Hixie76Keys | undefined;

  constructor(request: IncomingMessage, socket: Duplex, head: Buffer) {
    this.request = request;
    this.#pending = new PendingSocket(socket, head);
  }

  /**
   * §4.1's request, read as RFC 6455 reads its own where they agree (GET, HTTP/1.1, Upgrade and
   * Connection tokens, one Host, no content), then both keys (§5.2 steps 4-7: 400 when one is refused).
   */
  check(): Rejection | undefined {
    const request = this.request;
    const facts = {
      method: request.method ?? '',
      httpVersionMajor: request.httpVersionMajor,
      httpVersionMinor: request.httpVersionMinor,
      headers: request.rawHeaders,
    };
    const rejection =
      checkMethod(facts) ??
      checkHttpVersion(facts) ??
      checkNoBody(facts) ??
      checkUpgrade(facts) ??
      checkConnection(facts);
    if (rejection !== undefined) return rejection;
    const host = checkHostPresent(facts);
    if (host instanceof Rejection) return host;
    const keys = hixie76Keys(request.rawHeaders);
    if (keys instanceof Rejection) return keys;
    this.#keys = keys;
    const authority = absoluteFormAuthority(request.url) ?? host;
    this.#wire = new Http1Wire('hixie-76', request, this.#pending.socket, host, authority);
    return undefined;
  }

  get wire(): Http1Wire {
    if (this.#wire === undefined) throw new Error('wsgate: Hixie76Transport.wire read before check()');
    return this.#wire;
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

  /** §5.1: the eight key bytes, awaited (under the deadline) before the decision. False if the client left. */
  ready(): Promise<boolean> {
    return this.#pending.waitFor(HIXIE76_KEY3_LENGTH);
  }

  reject(rejection: Rejection): void {
    closeAfterFlush(this.#pending.socket, formatRejection(rejection, this.request.method));
  }

  /**
   * §5.2 steps 10-13: the status line, the fields (Location from the request's own scheme and Host as the
   * framework sees them), an empty line, the 16-byte answer; then frames, after the key bytes.
   */
  accept(accept: Accept): WebSocket {
    const pending = this.#pending;
    const bytes = pending.takeBytes();
    const keys = this.#keys as Hixie76Keys;
    const answer = hixie76Challenge(keys.number1, keys.number2, bytes.subarray(0, HIXIE76_KEY3_LENGTH));
    const own = hixie76OwnFields({
      origin: singleHeader(this.request.rawHeaders, 'origin'),
      location: accept.location as string, // decide.ts sets it for every draft-76 acceptance
      protocol: accept.protocol,
    });
    const head = formatAcceptance(HIXIE76_STATUS_LINE, own, accept.headers);
    pending.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), answer]));
    const socket = new Hixie76Socket(pending.socket, bytes.subarray(HIXIE76_KEY3_LENGTH), {
      maxPayload: accept.frames.maxPayload,
      protocol: accept.protocol,
      closeTimeout: accept.frames.closeTimeout,
    });
    pending.handOver();
    // The handler's socket type is ws's; a legacy connection has its basic surface (see the README).
    return socket as unknown as WebSocket;
  }
}
