/**
 * A transport carries one handshake: it read the facts off the wire, and it writes the decision back —
 * a Rejection as a complete response, an Accept as the acceptance (a 101, or an HTTP/2 200) followed by
 * the WebSocket the handler gets. The pipeline never writes bytes itself.
 */

import type { WebSocket } from 'ws';
import type { Accept } from '../decision/decide.js';
import type { WireFacts } from '../decision/facts.js';
import type { Rejection } from '../protocol/rejection.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';

export interface Transport {
  readonly name: TransportName;
  /** The request as Node presents it (for events and errors, also when `check` refused it). */
  readonly request: UpgradeRequest;
  /** The protocol's own checks of the request; a Rejection when it is not a valid handshake. */
  check(): Rejection | undefined;
  /**
   * The connection when it may carry several handshakes at once (an HTTP/2 session), for its share of
   * the cap on handshakes in flight; undefined when it carries one (an HTTP/1.1 upgrade).
   */
  readonly connection?: object | undefined;
  /**
   * Ends the exchange without an answer of ours: the deadline passed while an answer the application
   * started could not be delivered (a client that reads nothing, RFC 9113 §6.9's zero window). Resets the
   * stream or destroys the socket, so that nothing the handshake holds outlives its deadline.
   */
  abandon(): void;
  /** The facts, once `check` passed. */
  readonly wire: WireFacts;
  /**
   * Starts noticing a client that goes away, for a handshake that outlives its first turn of the event
   * loop (an async hook or middleware); most do not, and skip the cost.
   */
  watch(gone: () => void): void;
  /** Stops watching: the handshake is settled. */
  unwatch(): void;
  /** Writes the rejection and ends the exchange. Throws before writing anything if it cannot be written. */
  reject(rejection: Rejection): void;
  /**
   * Writes the acceptance and returns the socket for the handler. Throws before writing anything when the
   * acceptance cannot be written (a header the hook set is refused), so that the caller can refuse instead.
   */
  accept(accept: Accept): WebSocket;
  /**
   * Resolves once what the transport needs beyond the request has arrived (draft-76's key bytes): true,
   * or false when the client left first. Absent when the request is all it needs.
   */
  ready?(): Promise<boolean>;
}
