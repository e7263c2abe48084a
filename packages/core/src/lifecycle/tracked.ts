/**
 * One open connection as the gate tracks it (registry.ts), and what expiry and heartbeats may ask of the
 * registry: their own file, so that neither needs the registry's module.
 */

import type { WebSocket } from 'ws';
import type { Route } from '../decision/route.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';
import type { CloseCause } from './events.js';

export interface Tracked {
  readonly socket: WebSocket;
  readonly route: Route<unknown>;
  readonly transport: TransportName;
  /** Its request, for the close event; undefined when nobody observed closes as it opened. */
  readonly request: UpgradeRequest | undefined;
  readonly context: unknown;
  readonly started: number;
  readonly keys: readonly string[];
  /** Set by the first close the gate starts; undefined while the gate has not closed it. */
  cause: CloseCause | undefined;
  /** The code the gate sent with that close. */
  sentCode: number | undefined;
  /** A ping went out and no pong came back yet. */
  awaitingPong: boolean;
  /** The expiry timer, or the refresh's grace timer. */
  timer: NodeJS.Timeout | undefined;
}

/** Closing a tracked connection: what expiry needs of the registry. */
export interface ConnectionCloser {
  end(entry: Tracked, cause: CloseCause, code: number, reason: string): boolean;
}
