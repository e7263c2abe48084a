// What a contract case is: a request (or several in one write) and what every server kind must answer, and
// how an answer is checked. Expectations may depend on trust proxy: the core never reads X-Forwarded-*, so
// it is expected to answer as a framework that does not trust the peer.
import { type Rejection, type RejectionCode, reject } from '@wsgate/core';
import { expect } from 'vitest';
import { eventually, sleep } from '../abuse/raw.js';
import type { EventRecord, Handled } from './app.js';
import type { Exchange, RequestSpec, Response } from './http.js';
import type { ContractServer } from './servers.js';

export interface Expectation {
  readonly status: number;
  /** A row of the core's table: exact status, Wsgate-Code, body, Content-Type, its own headers, and a close. */
  readonly row?: Rejection;
  /** Header lines that must be there (exact value or pattern), or absent (null). */
  readonly headers?: Readonly<Record<string, string | RegExp | null>>;
  readonly body?: string | RegExp | { readonly json: unknown };
  /** What the handler got (a 101), or null: never called. Default: called exactly for a 101. */
  readonly handled?: Partial<Handled> | null;
  /** The handshake event, or null: none (an ordinary request). */
  readonly event?: Partial<EventRecord> | null;
  /** The server ends the connection after the answer (an upgrade request's is never reused). */
  readonly closes?: boolean;
  /** Errors reported to onError. Default 0. */
  readonly errors?: number;
  /** Who wrote the answer: the core's bytes are the same on every server kind. Default: core for a row, 101, 426. */
  readonly writtenBy?: 'core' | 'app';
}

export function writtenByCore(expected: Expectation): boolean {
  return (
    (expected.writtenBy ?? (expected.row !== undefined || [101, 426].includes(expected.status) ? 'core' : 'app')) ===
    'core'
  );
}

export interface Case {
  readonly name: string;
  readonly request: RequestSpec;
  readonly expect: Expectation | ((trusted: boolean) => Expectation);
  /** The other transports the case means the same on (transports.test.ts), and how its request is said there. */
  readonly over?: { readonly h2?: TransportRequest; readonly 'hixie-76'?: TransportRequest };
}

/** The same request over HTTP/2 and draft-76. */
export function overBoth(request: TransportRequest): Case['over'] {
  return { h2: request, 'hixie-76': request };
}

/**
 * A case's request over HTTP/2 (an extended CONNECT, RFC 8441) or draft-76: the path, the Origin (default none),
 * the authority (`:authority`, or draft-76's Host), the subprotocols offered and other fields, `{port}` filled.
 * The answer expected is the HTTP/1.1 one (its 101 a 200 over HTTP/2, and draft-76's own), unless `expect` says.
 */
export interface TransportRequest {
  readonly path: string;
  readonly origin?: string;
  readonly authority?: string;
  readonly protocols?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the transport answers, where its protocol makes it differ from HTTP/1.1's. */
  readonly expect?: Expectation;
}

export function expectationOf(c: Case, trustProxy: boolean | undefined): Expectation {
  return typeof c.expect === 'function' ? c.expect(trustProxy === true) : c.expect;
}

/** The 101 of RFC 6455 §4.2.2 for the suite's key, with nothing the app did not ask for. */
export const ACCEPTED: Expectation['headers'] = {
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  'Wsgate-Code': null,
  'Content-Type': null,
  'Content-Length': null,
};

// HTTP/1.1 rows only: UNSUPPORTED_PROTOCOL and BAD_CONNECT answer HTTP/2 extended CONNECTs (packages/core/test/http2*).
const rows: Record<
  Exclude<RejectionCode, 'REJECTED' | 'QUOTA_EXCEEDED' | 'RATE_LIMITED' | 'UNSUPPORTED_PROTOCOL' | 'BAD_CONNECT'>,
  Rejection
> = {
  METHOD_NOT_ALLOWED: reject.methodNotAllowed,
  HTTP_VERSION: reject.httpVersion,
  BODY_NOT_ALLOWED: reject.bodyNotAllowed,
  NOT_AN_UPGRADE: reject.notAnUpgrade,
  BAD_KEY: reject.badKey,
  UNSUPPORTED_VERSION: reject.unsupportedVersion,
  BAD_HOST: reject.badHost,
  HOST_FORBIDDEN: reject.hostForbidden,
  BAD_ORIGIN: reject.badOrigin,
  ORIGIN_FORBIDDEN: reject.originForbidden,
  CROSS_SITE_FORBIDDEN: reject.crossSiteForbidden,
  BAD_SUBPROTOCOL: reject.badSubprotocol,
  BAD_EXTENSIONS: reject.badExtensions,
  NO_SUBPROTOCOL: reject.noSubprotocol,
  HOOK_FAILED: reject.hookFailed,
  HANDSHAKE_TIMEOUT: reject.handshakeTimeout,
  OVERLOADED: reject.overloaded,
  SHUTTING_DOWN: reject.shuttingDown,
  STORE_UNAVAILABLE: reject.storeUnavailable,
  NOT_FOUND: reject.notFound,
};

/** The body of a row of the core's table: its status and code, as text. */
export function rowBody(row: Rejection): string {
  if (typeof row.body !== 'string') throw new Error(`${row.code} has no text body`);
  return row.body;
}

/** A refusal from the core's table; `route` is the route named in its event (undefined before routing). */
export function refusedWith(
  code: keyof typeof rows | Rejection,
  route: string | undefined,
  extra: Partial<Expectation> = {},
): Expectation {
  const row = typeof code === 'string' ? rows[code] : code;
  // A hook that throws and a store that fails are programming or operations errors: reported, never sent.
  const errors = row.code === 'HOOK_FAILED' || row.code === 'STORE_UNAVAILABLE' ? 1 : 0;
  const event = { outcome: 'reject' as const, code: row.code, status: row.status, route };
  return { status: row.status, row, handled: null, event, errors, ...extra };
}

/** Accepted: a 101, the handler called with `handled`. */
export function opened(route: string, extra: Partial<Expectation> = {}): Expectation {
  return {
    status: 101,
    headers: ACCEPTED,
    handled: { route, transport: 'http/1.1', protocol: undefined, context: undefined },
    event: { outcome: 'accept', code: undefined, status: 101, route, transport: 'http/1.1' },
    ...extra,
  };
}

/** Checks one response against an expectation (the handler and events are the runner's). */
export function checkResponse(exchange: Exchange, response: Response | undefined, expected: Expectation): void {
  expect(response, 'a response').toBeDefined();
  const res = response as Response;
  expect(res.status, res.statusLine).toBe(expected.status);
  const { row } = expected;
  if (row !== undefined) {
    expect(res.get('Wsgate-Code')).toBe(row.code);
    // RFC 9110 §9.3.2: no content in the answer to HEAD, only its length.
    const content = exchange.method === 'HEAD' ? '' : rowBody(row);
    expect(res.body.toString('latin1')).toBe(content);
    expect(res.get('Content-Type')).toBe('text/plain; charset=utf-8');
    expect(res.get('Content-Length')).toBe(String(Buffer.byteLength(rowBody(row))));
    for (const [name, value] of Object.entries(row.headers)) expect(res.get(name), name).toBe(String(value));
    // An upgrade request's connection is never reused: the refusal says so, and the server closes it.
    expect(res.all('Connection').join(', ')).toMatch(/\bclose\b/i);
    expect(exchange.closed, 'the server closed the connection').toBe(true);
  } else if (expected.headers?.['Wsgate-Code'] === undefined) {
    expect(res.get('Wsgate-Code'), 'not a row of the core').toBeUndefined();
  }
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    if (value === null) expect(res.all(name), `${name} absent`).toEqual([]);
    else if (typeof value === 'string') expect(res.get(name), name).toBe(value);
    else expect(res.get(name), name).toMatch(value);
  }
  if (expected.closes) expect(exchange.closed, 'the server closed the connection').toBe(true);
  expect(exchange.trailing.toString('latin1'), 'nothing after the response').toBe('');
  const { body } = expected;
  if (typeof body === 'string') expect(res.body.toString()).toBe(body);
  else if (body instanceof RegExp) expect(res.body.toString()).toMatch(body);
  else if (body !== undefined) expect(JSON.parse(res.body.toString())).toEqual(body.json);
}

/** How far the app's probe had got before a request: what the request did comes after. */
export function effectsSoFar(server: ContractServer) {
  const { probe } = server.app;
  return { handled: probe.handled.length, events: probe.events.length, errors: probe.errors.length };
}

/** What the handler got, the handshake event and the errors reported, after a request; nothing left pending. */
export async function checkEffects(
  server: ContractServer,
  before: ReturnType<typeof effectsSoFar>,
  expected: Expectation,
): Promise<void> {
  const { probe } = server.app;
  if (expected.handled === null || (expected.handled === undefined && expected.status !== 101)) {
    await sleep(10); // nothing may come late either
    expect(probe.handled.slice(before.handled)).toEqual([]);
  } else {
    await eventually(() => probe.handled.length > before.handled, 2_000, 'the handler called');
    expect(probe.handled.slice(before.handled)).toHaveLength(1);
    expect(probe.handled[before.handled]).toMatchObject(expected.handled ?? {});
  }
  if (expected.event === null) {
    await sleep(10);
    expect(probe.events.slice(before.events)).toEqual([]);
  } else if (expected.event !== undefined) {
    await eventually(() => probe.events.length > before.events, 2_000, 'the handshake event');
    const events = probe.events.slice(before.events);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(expected.event);
  }
  expect(probe.errors.slice(before.errors)).toHaveLength(expected.errors ?? 0);
  await eventually(() => server.gate.pending === 0, 2_000, 'no handshake pending');
}

/**
 * What must be the same on every server kind when the core wrote the answer: the status line, every header
 * line but those Node or the app add on their own (Date, Keep-Alive, Express's X-Powered-By), names in lower
 * case, in no order, and the body.
 */
export function signature(response: Response | undefined, withBody: boolean): string {
  if (response === undefined) return 'no response';
  const own = new Set(['date', 'keep-alive', 'x-powered-by']);
  const lines = response.lines
    .filter(([name]) => !own.has(name.toLowerCase()))
    .map(([name, value]) => `${name.toLowerCase()}: ${value}`)
    .sort();
  return [response.statusLine, ...lines, '', withBody ? response.body.toString() : '(the app’s body)'].join('\n');
}
