/**
 * The fluent form, for tests that read as the rule they check:
 *
 *   await expectHandshake(app, '/chat').withCookie('sid', sid).withProtocols(['chat.v2']).toOpen({ protocol: 'chat.v2' });
 *   await expectHandshake(app, '/chat').toBeRefused(401, { error: 'login required' });
 *   await expectHandshake(app, '/chat').withOrigin('https://evil.example').toBeRefused(403, { code: 'ORIGIN_FORBIDDEN' });
 *
 * Each `with…` returns a new expectation, so a base can be shared between cases. A failure throws a
 * HandshakeAssertionError (node:assert's AssertionError) showing the whole response and the request.
 */

import { isDeepStrictEqual } from 'node:util';
import type { RejectionCode } from '@wsgate/core';
import { HandshakeAssertionError } from './errors.js';
import { performHandshake } from './handshake.js';
import type { HandshakeOptions } from './options.js';
import type { HandshakeResult } from './response.js';
import { closeSocket, type TestSocket } from './socket.js';
import type { TestTarget } from './target.js';

/** Header expectations: a value, a RegExp it must match, or undefined for "absent". Names in any case. */
export type HeaderExpectations = Readonly<Record<string, string | RegExp | undefined>>;

/**
 * What a refusal must carry besides its status. An object whose only keys are among `code`, `body` and
 * `headers` is this; any other object is the expected JSON body (write `{ body: { code: … } }` for a JSON
 * body that has a `code` field).
 */
export interface RefusalExpectation {
  /** The core's rejection code (its `wsgate-code` header). */
  code?: RejectionCode | (string & {});
  /** The body: text when a string, JSON (deep-equal) otherwise. */
  body?: string | object;
  headers?: HeaderExpectations;
}

export interface OpenExpectation {
  /** The negotiated subprotocol; `undefined` for none. Unchecked when the key is absent. */
  protocol?: string | undefined;
  /** Headers of the 101. */
  headers?: HeaderExpectations;
}

type Runner = (options: HandshakeOptions) => Promise<{ response: HandshakeResult; socket: TestSocket | undefined }>;

export class HandshakeExpectation {
  readonly #run: Runner;
  readonly #options: HandshakeOptions;

  /** Made by `expectHandshake(...)` or `client.expectHandshake(...)`: call those instead. */
  constructor(run: Runner, options: HandshakeOptions) {
    this.#run = run;
    this.#options = options;
  }

  /** Adds a cookie. */
  withCookie(name: string, value: string): HandshakeExpectation {
    return this.withOptions({ cookies: { ...this.#options.cookies, [name]: value } });
  }

  /** Adds cookies. */
  withCookies(cookies: Readonly<Record<string, string>>): HandshakeExpectation {
    return this.withOptions({ cookies: { ...this.#options.cookies, ...cookies } });
  }

  /** The Origin header; `null` sends none. */
  withOrigin(origin: string | null): HandshakeExpectation {
    return this.withOptions({ origin });
  }

  /** The request's authority (Host, and the default Origin). */
  withHost(host: string): HandshakeExpectation {
    return this.withOptions({ host });
  }

  /** The subprotocols offered, in the client's order of preference. */
  withProtocols(protocols: string | readonly string[]): HandshakeExpectation {
    return this.withOptions({ protocols });
  }

  /** Adds a request header. */
  withHeader(name: string, value: string | readonly string[]): HandshakeExpectation {
    return this.withOptions({ headers: { ...this.#options.headers, [name]: value } });
  }

  /** Any other option (`transport`, `connection`, `timeout`, `client`…). */
  withOptions(options: HandshakeOptions): HandshakeExpectation {
    return new HandshakeExpectation(this.#run, { ...this.#options, ...options });
  }

  /**
   * Expects a refusal: `status` (any non-101 when omitted) and, if given, the body (a string: as text; an
   * object: as JSON) or a RefusalExpectation (`{ code, body, headers }`). Resolves with the response.
   */
  async toBeRefused(status?: number, expected?: string | object): Promise<HandshakeResult> {
    const { response, socket } = await this.#run(this.#options);
    if (socket !== undefined) await closeSocket(socket);
    const spec: RefusalExpectation =
      expected === undefined
        ? {}
        : typeof expected === 'object' && isRefusalExpectation(expected)
          ? expected
          : { body: expected };
    const wanted = `a refusal${status === undefined ? '' : ` ${status}`}${describeSpec(spec)}`;
    const fail = (what: string, actual: unknown, expectation: unknown) => {
      throw new HandshakeAssertionError(`expected ${wanted}, ${what}`, response, actual, expectation);
    };
    if (response.status === 101) fail('but the handshake was accepted (101)', { status: 101 }, { status });
    if (status !== undefined && response.status !== status) {
      fail(`but the status is ${response.status}`, { status: response.status }, { status });
    }
    if (spec.code !== undefined && response.code !== spec.code) {
      const hint = looksLikeJsonCode(response.body)
        ? ' (to compare a JSON body with a `code` field, write { body: {…} })'
        : '';
      fail(
        `but its code is ${response.code ?? `absent (no wsgate-code header)`}${hint}`,
        { code: response.code },
        { code: spec.code },
      );
    }
    if (spec.body !== undefined) {
      if (typeof spec.body === 'string') {
        if (response.body !== spec.body) fail('but the body differs', { body: response.body }, { body: spec.body });
      } else {
        const parsed = parseJson(response.body);
        if (parsed === NOT_JSON) fail('but the body is not JSON', { body: response.body }, { body: spec.body });
        if (!isDeepStrictEqual(parsed, spec.body))
          fail('but the JSON body differs', { body: parsed }, { body: spec.body });
      }
    }
    const mismatch = headerMismatch(response, spec.headers);
    if (mismatch !== undefined) fail(mismatch.what, mismatch.actual, mismatch.expected);
    return response;
  }

  /** Expects a 101 and, if given, its subprotocol and headers. Resolves with the open socket. */
  async toOpen(expected: OpenExpectation = {}): Promise<TestSocket> {
    const { response, socket } = await this.#run(this.#options);
    const wanted = `the handshake to open${'protocol' in expected ? ` with protocol ${String(expected.protocol)}` : ''}`;
    const fail = async (what: string, actual: unknown, expectation: unknown): Promise<never> => {
      if (socket !== undefined) await closeSocket(socket);
      throw new HandshakeAssertionError(`expected ${wanted}, ${what}`, response, actual, expectation);
    };
    if (socket === undefined) {
      const why =
        response.clientError === undefined
          ? `but it was refused with ${response.status}`
          : `but ${response.clientError.message.split(';')[0]}`;
      return fail(why, { status: response.status }, { status: 101 });
    }
    if ('protocol' in expected && response.protocol !== expected.protocol) {
      await fail(
        `but the protocol is ${String(response.protocol)}`,
        { protocol: response.protocol },
        { protocol: expected.protocol },
      );
    }
    const mismatch = headerMismatch(response, expected.headers);
    if (mismatch !== undefined) await fail(mismatch.what, mismatch.actual, mismatch.expected);
    return socket;
  }
}

/** Starts a fluent expectation on the handshake to `path` on `target`. */
export function expectHandshake(
  target: TestTarget,
  path: string,
  options: HandshakeOptions = {},
): HandshakeExpectation {
  return new HandshakeExpectation((merged) => performHandshake(target, path, merged), options);
}

const SPEC_KEYS = new Set(['code', 'body', 'headers']);

function isRefusalExpectation(value: object): value is RefusalExpectation {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => SPEC_KEYS.has(key));
}

function describeSpec(spec: RefusalExpectation): string {
  const parts: string[] = [];
  if (spec.code !== undefined) parts.push(`code ${spec.code}`);
  if (typeof spec.body === 'string') parts.push(`the body ${JSON.stringify(spec.body)}`);
  else if (spec.body !== undefined) parts.push(`the JSON body ${JSON.stringify(spec.body)}`);
  if (spec.headers !== undefined) parts.push(`headers ${describeHeaders(spec.headers)}`);
  return parts.length === 0 ? '' : ` with ${parts.join(', ')}`;
}

function describeHeaders(headers: HeaderExpectations): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value === undefined ? '(absent)' : String(value)}`)
    .join(', ');
}

interface Mismatch {
  readonly what: string;
  readonly actual: unknown;
  readonly expected: unknown;
}

/** The first header of `expected` the response does not satisfy. */
function headerMismatch(response: HandshakeResult, expected: HeaderExpectations | undefined): Mismatch | undefined {
  for (const [name, want] of Object.entries(expected ?? {})) {
    const value = response.headers[name.toLowerCase()];
    const actual = Array.isArray(value) ? value.join(', ') : value;
    const ok =
      want === undefined
        ? actual === undefined
        : actual !== undefined && (typeof want === 'string' ? actual === want : want.test(actual));
    if (!ok) {
      const shown = actual === undefined ? 'absent' : JSON.stringify(actual);
      return { what: `but header ${name} is ${shown}`, actual: { [name]: actual }, expected: { [name]: want } };
    }
  }
  return undefined;
}

const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

function looksLikeJsonCode(body: string): boolean {
  const parsed = parseJson(body);
  return typeof parsed === 'object' && parsed !== null && 'code' in parsed;
}
