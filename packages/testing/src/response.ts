/**
 * The server's answer to a handshake, whatever it was, as plain data a test can compare and print.
 */

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RejectionCode } from '@wsgate/core';
import type { RequestSummary } from './options.js';
import type { TestSocket } from './socket.js';

/** The response header in which the core names the rejection it wrote (its stable `code`). */
const CODE_HEADER = 'wsgate-code';

export interface HandshakeResult {
  /** 101 when the handshake was accepted, else the refusal's status. */
  readonly status: number;
  readonly statusText: string;
  /** Lower-cased names; repeated headers joined as Node joins them (Set-Cookie as an array). */
  readonly headers: IncomingHttpHeaders;
  /** Names and values as sent, in order: `[name, value, name, value, …]`. */
  readonly rawHeaders: readonly string[];
  /** The body as text ('' for a 101). */
  readonly body: string;
  /**
   * The core's rejection code (`ORIGIN_FORBIDDEN`…) when the core wrote the refusal, from its `wsgate-code`
   * response header; undefined for a response the app wrote itself, for a 101, and for a core that does not
   * send the header.
   */
  readonly code: RejectionCode | (string & {}) | undefined;
  /** The negotiated subprotocol of a 101. */
  readonly protocol: string | undefined;
  /** The open socket of a 101, when `keepOpen` was asked for. */
  readonly socket?: TestSocket;
  /**
   * Set when the server answered 101 but the `ws` client failed the connection (the server chose no
   * subprotocol while the client offered some, which `ws` refuses; browsers accept it).
   */
  readonly clientError?: Error;
  /** The request, as sent (for messages). */
  readonly request: RequestSummary;
}

export function responseFrom(
  message: IncomingMessage,
  body: string,
  request: RequestSummary,
  protocol: string | undefined,
): HandshakeResult {
  const code = message.headers[CODE_HEADER];
  return {
    status: message.statusCode ?? 0,
    statusText: message.statusMessage ?? '',
    headers: message.headers,
    rawHeaders: message.rawHeaders,
    body,
    code: typeof code === 'string' ? code : undefined,
    protocol,
    request,
  };
}

const MAX_BODY_SHOWN = 2_000;

/** The response as it came over the wire: status line, headers, body. */
function formatResponse(response: Pick<HandshakeResult, 'status' | 'statusText' | 'rawHeaders' | 'body'>): string {
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText}`];
  for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
    lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
  }
  let text = lines.join('\n');
  if (response.body !== '') {
    const body =
      response.body.length > MAX_BODY_SHOWN
        ? `${response.body.slice(0, MAX_BODY_SHOWN)}… (${response.body.length} characters)`
        : response.body;
    text += `\n\n${body}`;
  }
  return text;
}

/** The request line and headers. */
function formatRequest(request: RequestSummary): string {
  return [
    `${request.method} ${request.path} HTTP/1.1`,
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
  ].join('\n');
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** Both sides of a handshake, for an error message. */
export function formatExchange(response: HandshakeResult): string {
  return `the server answered:\n${indent(formatResponse(response))}\nto the request:\n${indent(formatRequest(response.request))}`;
}
