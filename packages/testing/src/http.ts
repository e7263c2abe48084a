/**
 * Plain HTTP requests to the same app over the same kind of connection — for the steps a WebSocket test
 * needs first (logging in, reading a page) without opening a port. Node's own HTTP client on one side,
 * the app's server on the other.
 */

import { request as httpClientRequest, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { type Cookies, cookiesSetBy } from './cookies.js';
import { WaitTimeoutError } from './errors.js';
import { checkTimeout, DEFAULT_HOST, type HeaderValues, hasHeader, targetUrl, withCookies } from './options.js';
import type { TestTarget } from './target.js';
import { type ConnectionOptions, connectTo } from './transport.js';

export interface HttpRequestOptions extends ConnectionOptions {
  /** The Host header. Default `localhost`. */
  host?: string;
  headers?: HeaderValues;
  cookies?: Cookies;
  /** A body as it is (set your Content-Type). */
  body?: string | Buffer;
  /** A form body (application/x-www-form-urlencoded). */
  form?: Readonly<Record<string, string>>;
  /** A JSON body (application/json). */
  json?: unknown;
  /** Milliseconds to wait for the whole response. Default 3000. */
  timeout?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
  /** The cookies the response sets (Set-Cookie), `{ name: value }`, ready for a handshake's `cookies`. */
  readonly cookies: Record<string, string>;
  /** The body parsed as JSON (throws, showing the body, when it is not). */
  json<T = unknown>(): T;
}

/** One HTTP request to `target`, without a port. Resolves with the whole response. */
export async function httpRequest(
  target: TestTarget,
  method: string,
  path: string,
  options: HttpRequestOptions = {},
): Promise<HttpResponse> {
  const url = targetUrl('http', options.host ?? DEFAULT_HOST, path);
  const timeout = checkTimeout(options.timeout);
  const { body, type } = encodeBody(options);
  const headers: Record<string, string | readonly string[]> = {
    ...withCookies(options.headers ?? {}, options.cookies),
  };
  if (type !== undefined && !hasHeader(headers, 'content-type')) headers['Content-Type'] = type;
  if (body !== undefined) headers['Content-Length'] = String(body.length);
  // One request per connection: the server closes it after the response, so nothing is left open.
  if (!hasHeader(headers, 'connection')) headers.Connection = 'close';
  const connection = await connectTo(target, options);

  return new Promise<HttpResponse>((resolve, reject) => {
    const request = httpClientRequest(url, {
      method,
      headers: headers as Record<string, string | string[]>,
      createConnection: () => connection as Socket,
    });
    const timer = setTimeout(() => {
      reject(new WaitTimeoutError(`httpRequest: no complete response to ${method} ${path} within ${timeout} ms`));
      request.destroy();
    }, timeout);
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          headers: response.headers,
          rawHeaders: response.rawHeaders,
          body: text,
          cookies: cookiesSetBy(response.headers['set-cookie']),
          json<T>() {
            try {
              return JSON.parse(text) as T;
            } catch {
              throw new Error(
                `httpRequest: the body of ${method} ${path} (${response.statusCode}) is not JSON: ${text.slice(0, 500)}`,
              );
            }
          },
        });
      });
    });
    request.end(body);
  });
}

function encodeBody(options: HttpRequestOptions): { body: Buffer | undefined; type: string | undefined } {
  const given = [options.body, options.form, options.json].filter((value) => value !== undefined).length;
  if (given > 1) throw new TypeError('@wsgate/testing: give one of body, form and json');
  if (options.form !== undefined) {
    return {
      body: Buffer.from(new URLSearchParams(options.form).toString()),
      type: 'application/x-www-form-urlencoded',
    };
  }
  if (options.json !== undefined) return { body: Buffer.from(JSON.stringify(options.json)), type: 'application/json' };
  if (options.body !== undefined) return { body: Buffer.from(options.body), type: undefined };
  return { body: undefined, type: undefined };
}
