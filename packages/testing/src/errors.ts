/**
 * The kit's errors: plain `Error`s (and node:assert's `AssertionError`, which every test runner prints with
 * its expected/actual diff), each with a stable `code`, each message showing what the server answered.
 */

import { AssertionError } from 'node:assert';
import { formatExchange, type HandshakeResult } from './response.js';

/** `connect` was answered with something other than a 101. `response` is the whole answer. */
export class HandshakeRefusedError extends Error {
  readonly code = 'WSGATE_HANDSHAKE_REFUSED';
  readonly response: HandshakeResult;

  constructor(response: HandshakeResult) {
    super(
      `WebSocket handshake ${response.request.method} ${response.request.path} refused with ` +
        `${response.status} ${response.statusText}; ${formatExchange(response)}`,
    );
    this.name = 'HandshakeRefusedError';
    this.response = response;
  }

  /** The refusal's HTTP status. */
  get status(): number {
    return this.response.status;
  }
}

/** The server answered 101, but the `ws` client failed the connection (e.g. no subprotocol chosen). */
export class ClientFailedError extends Error {
  readonly code = 'WSGATE_CLIENT_FAILED';
  readonly response: HandshakeResult;

  constructor(response: HandshakeResult, cause: Error) {
    super(`WebSocket handshake accepted, but the ws client failed it: ${cause.message}; ${formatExchange(response)}`, {
      cause,
    });
    this.name = 'ClientFailedError';
    this.response = response;
  }
}

/** Something awaited (an answer, a message, a close) did not come in time. */
export class WaitTimeoutError extends Error {
  readonly code = 'WSGATE_TEST_TIMEOUT';

  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

/** An `expectHandshake(...)` expectation that did not hold. `actual` / `expected` give the runner its diff. */
export class HandshakeAssertionError extends AssertionError {
  readonly response: HandshakeResult;

  constructor(message: string, response: HandshakeResult, actual: unknown, expected: unknown) {
    super({ message: `${message}\n${formatExchange(response)}`, actual, expected, operator: 'handshake' });
    this.name = 'HandshakeAssertionError';
    this.response = response;
  }
}
