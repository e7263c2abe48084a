/**
 * The adapter's side of one request: `upgradeOf(request)` is the WebSocket handshake in flight for a
 * request the app is serving (app-upgrade.ts over HTTP/1.1, app-connect.ts over HTTP/2), with the two
 * calls a WebSocket route makes, in this order:
 *
 *   const admitted = await upgrade.admit(route, view)   as soon as routing found the route
 *   [the route's own middleware: it may answer instead]
 *   upgrade.accept(admitted)                            the route's last step
 *
 * `admit` hands back what it admitted and `accept` takes it: nothing is admitted twice, and nothing is
 * remembered on the handshake between the two.
 */

import type { IncomingMessage } from 'node:http';
import type { FrameworkView } from '../decision/facts.js';
import type { Route } from '../decision/route.js';
import { headerLines } from '../http/raw-headers.js';
import { listHasToken } from '../http/token-list.js';
import type { Admitted } from '../lifecycle/admitted.js';
import type { Handshake } from '../lifecycle/pending-handshake.js';
import { accept, admit } from '../lifecycle/pipeline.js';
import { notAnUpgrade } from '../protocol/not-an-upgrade.js';
import type { TransportName, UpgradeRequest } from '../protocol/request.js';

/** A WebSocket handshake that an adapter runs through its framework: one per request. */
export interface AppUpgrade {
  /** Which transport carries it: `'h2'` for an extended CONNECT, whose acceptance is a 200 (RFC 8441 §5), not a 101. */
  readonly transport: TransportName;
  /** Whether it still waits for its answer: false once accepted, refused, answered by the app, or ended on its own. */
  readonly inFlight: boolean;
  /** Whether the app has started a response of its own (what the core writes is not the app's). */
  readonly appResponded: boolean;
  /**
   * The route is known: the core's checks that depend on it (Origin, fetch metadata, subprotocols, rate
   * limits). The admitted handshake, for `accept`; undefined when it may not go on: the core has answered
   * (a refusal), or the handshake ended meanwhile. The framework then writes nothing more. Synchronous unless
   * a policy is not.
   */
  admit<Context>(route: Route<Context>, view?: FrameworkView): Admitted | undefined | Promise<Admitted | undefined>;
  /**
   * The route's last step: the core takes the socket (or stream) from the app's response, decides (the hook,
   * quotas) and answers. Does nothing when there is nothing left to answer: the app has already answered
   * (its answer stands: a middleware that responded and still let the request through), or the handshake
   * ended meanwhile (the client left, the deadline passed). Never throws or rejects.
   */
  accept(admitted: Admitted): void | Promise<void>;
}

/** The app's response and the pending handshake of one request, as app-upgrade.ts and app-connect.ts make them. */
export abstract class AppHandshake implements AppUpgrade {
  /** Set once, right after `open`: the handshake is given this object as its observer when it opens. */
  handshake: Handshake | undefined;

  get transport(): TransportName {
    return (this.handshake as Handshake).transport.name;
  }

  get inFlight(): boolean {
    return this.handshake?.inFlight === true;
  }

  abstract readonly appResponded: boolean;

  admit<Context>(route: Route<Context>, view?: FrameworkView): Admitted | undefined | Promise<Admitted | undefined> {
    return admit(this.handshake as Handshake, route as Route<unknown>, view);
  }

  accept(admitted: Admitted): void | Promise<void> {
    if (this.take()) return accept(admitted);
  }

  /**
   * Detaches the socket or stream from the app's response, so that nothing the app writes afterwards reaches
   * it; false when there is nothing left to take (see `accept`).
   */
  protected abstract take(): boolean;
}

const kUpgrade = Symbol('wsgate.upgrade');
type UpgradeCarrier = UpgradeRequest & { [kUpgrade]?: AppHandshake };

/** The WebSocket handshake in flight for a request the app is serving; undefined for any other request. */
export function upgradeOf(request: UpgradeRequest): AppUpgrade | undefined {
  const upgrade = (request as UpgradeCarrier)[kUpgrade];
  return upgrade?.handshake === undefined ? undefined : upgrade;
}

/**
 * Marks `request` as one that came through the server's 'upgrade' event (or as an extended CONNECT), carrying
 * `upgrade`; its handshake is undefined for an upgrade to another protocol, served as an ordinary request.
 */
export function carryUpgrade(request: UpgradeRequest, upgrade: AppHandshake): void {
  (request as UpgradeCarrier)[kUpgrade] = upgrade;
}

/** The handshake `request` carries, for the core's own use (serve/node-server.ts). */
export function handshakeOf(request: UpgradeRequest): Handshake | undefined {
  return (request as UpgradeCarrier)[kUpgrade]?.handshake;
}

/**
 * The answer to what reaches a WebSocket route without being a WebSocket handshake (`notAnUpgrade`): an upgrade
 * request that came through the server's 'upgrade' event carries its handshake, and its connection is never reused.
 */
export function upgradeRequired(request?: UpgradeRequest): ReturnType<typeof notAnUpgrade> {
  return notAnUpgrade(request, request !== undefined && (request as UpgradeCarrier)[kUpgrade] !== undefined);
}

/** Whether the request offers to switch to WebSocket (RFC 9110 §7.8: Upgrade is a list of protocols). */
export function offersWebSocket(request: Pick<IncomingMessage, 'rawHeaders'>): boolean {
  return listHasToken(headerLines(request.rawHeaders, 'upgrade'), 'websocket');
}

/**
 * Whether a WebSocket upgrade reached the app without coming through the gate: the server it came to was never
 * attached. It is one when node:http would have given it to 'upgrade' listeners, had the server any: Upgrade names
 * websocket and Connection carries the upgrade option (RFC 9110 §7.8); without the option it is an ordinary request,
 * which Node never treats as an upgrade. For an adapter's warning.
 */
export function isUnattachedUpgrade(request: UpgradeRequest): boolean {
  if ((request as UpgradeCarrier)[kUpgrade] !== undefined) return false;
  const raw = request as Pick<IncomingMessage, 'rawHeaders'>;
  return offersWebSocket(raw) && listHasToken(headerLines(raw.rawHeaders, 'connection'), 'upgrade');
}
