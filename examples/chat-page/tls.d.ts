// Types for the shared TLS set-up of the examples.
import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';

export interface Credentials {
  key: string | Buffer;
  cert: string | Buffer;
}
/** The HTTP/2 settings @wsgate/core advises: `{ maxConcurrentStreams: 100 }`. */
export const HTTP2_SETTINGS: Readonly<{ maxConcurrentStreams: number }>;
export function tlsRequested(env?: NodeJS.ProcessEnv): boolean;
export function tlsCredentials(env?: NodeJS.ProcessEnv): Promise<Credentials>;
/** A self-signed certificate for localhost, 127.0.0.1 and ::1, made now. */
export function selfSignedCredentials(): Promise<Credentials>;
export function createHttp2Server(
  credentials: Credentials,
  handler: (request: Http2ServerRequest, response: Http2ServerResponse) => void,
): Http2SecureServer;
export function closeServer(server: HttpServer | HttpsServer | Http2SecureServer, graceMs?: number): Promise<void>;
