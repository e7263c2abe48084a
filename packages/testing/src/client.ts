/**
 * A test client: one app, one set of defaults, one browser-like cookie jar (a login's Set-Cookie is sent
 * with the next handshake), and its own sockets to close — with `close()`, or `await using`.
 *
 *   await using ada = createTestClient(app);
 *   await ada.httpRequest('POST', '/login', { form: { name: 'ada' } });
 *   const socket = await ada.connect('/chat', { protocols: ['chat.v2'] });
 */

import { CookieJar } from './cookies.js';
import { HandshakeExpectation } from './expect.js';
import { performHandshake, type ResponseOptions, responseOf, socketOf } from './handshake.js';
import { type HttpRequestOptions, type HttpResponse, httpRequest } from './http.js';
import type { HandshakeOptions } from './options.js';
import { SocketRegistry } from './registry.js';
import type { HandshakeResult } from './response.js';
import type { TestSocket } from './socket.js';
import type { TestTarget } from './target.js';

export class TestClient<Target extends TestTarget = TestTarget> implements AsyncDisposable {
  readonly target: Target;
  /** Cookies set by the responses this client got, sent with its next requests and handshakes. */
  readonly cookies = new CookieJar();
  readonly #defaults: HandshakeOptions;
  readonly #sockets = new SocketRegistry();

  /** Made by `createTestClient(target, defaults)`: call that instead. */
  constructor(target: Target, defaults: HandshakeOptions) {
    this.target = target;
    this.#defaults = defaults;
  }

  /** `connect(target, path, options)` with this client's defaults and cookies. */
  async connect(path: string, options: HandshakeOptions = {}): Promise<TestSocket> {
    return socketOf(await this.#handshake(path, options));
  }

  /** `handshake(target, path, options)` with this client's defaults and cookies. */
  async handshake(path: string, options: ResponseOptions = {}): Promise<HandshakeResult> {
    return responseOf(await this.#handshake(path, options), options.keepOpen === true);
  }

  /** `expectHandshake(target, path, options)` with this client's defaults and cookies. */
  expectHandshake(path: string, options: HandshakeOptions = {}): HandshakeExpectation {
    return new HandshakeExpectation((merged) => this.#handshake(path, merged), options);
  }

  /** `httpRequest(target, method, path, options)`; the cookies it sets are kept. */
  async httpRequest(method: string, path: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    const { host, transport, connection, timeout, headers, cookies } = this.#defaults;
    const response = await httpRequest(this.target, method, path, {
      ...{ host, transport, connection, timeout },
      ...options,
      headers: { ...headers, ...options.headers },
      cookies: { ...this.cookies.toJSON(), ...cookies, ...options.cookies },
    });
    this.cookies.store(response.headers['set-cookie']);
    return response;
  }

  /** Closes the sockets this client opened; resolves once they are closed. */
  close(): Promise<void> {
    return this.#sockets.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #handshake(path: string, options: HandshakeOptions) {
    const defaults = this.#defaults;
    const outcome = await performHandshake(
      this.target,
      path,
      {
        ...defaults,
        ...options,
        headers: { ...defaults.headers, ...options.headers },
        cookies: { ...this.cookies.toJSON(), ...defaults.cookies, ...options.cookies },
      },
      this.#sockets,
    );
    this.cookies.store(outcome.response.headers['set-cookie']);
    return outcome;
  }
}

/**
 * A client for `target` whose `defaults` (host, origin, protocols, headers, cookies, transport…) apply to
 * every request and handshake it makes.
 */
export function createTestClient<Target extends TestTarget>(
  target: Target,
  defaults: HandshakeOptions = {},
): TestClient<Target> {
  return new TestClient(target, defaults);
}
