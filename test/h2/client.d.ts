import type {
  ClientHttp2Session,
  ClientHttp2Stream,
  IncomingHttpHeaders,
  IncomingHttpStatusHeader,
  SecureClientSessionOptions,
} from 'node:http2';
import type WebSocket from 'ws';

export interface ConnectOptions {
  /** A session to reuse (several WebSockets on one HTTP/2 connection). */
  session?: ClientHttp2Session;
  /** Fields to add or replace, pseudo-headers too; null leaves one out. */
  headers?: Record<string, string | string[] | null>;
  /** Offered subprotocols, as one sec-websocket-protocol field. */
  protocols?: string[];
}

export interface Connected {
  session: ClientHttp2Session;
  stream: ClientHttp2Stream;
  status: number;
  headers: IncomingHttpHeaders & IncomingHttpStatusHeader;
}

export function openSession(origin: string, options?: SecureClientSessionOptions): Promise<ClientHttp2Session>;
export function requestH2(
  session: ClientHttp2Session,
  path: string,
  options?: Omit<ConnectOptions, 'session'>,
): { stream: ClientHttp2Stream; response: Promise<IncomingHttpHeaders & IncomingHttpStatusHeader> };
export function connectH2(origin: string, path: string, options?: ConnectOptions): Promise<Connected>;
export function readBody(stream: ClientHttp2Stream): Promise<string>;
export function refusedH2(
  origin: string,
  path: string,
  options?: ConnectOptions,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string; rstCode: number | undefined }>;
export function clientWebSocket(stream: ClientHttp2Stream, options?: { maxPayload?: number }): WebSocket;
export function openWebSocketH2(
  origin: string,
  path: string,
  options?: ConnectOptions,
): Promise<Connected & { socket: WebSocket }>;
export function nextText(socket: WebSocket): Promise<string>;
export function closeSocket(socket: WebSocket): Promise<void>;
export function rawH2Request(
  port: number,
  pairs: ReadonlyArray<readonly [string, string]>,
  options?: { endStream?: boolean },
): Promise<string>;
