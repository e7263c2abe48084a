// A self-signed certificate for localhost, 127.0.0.1 and ::1, made once per process, for tests that serve
// TLS: the examples' own (examples/chat-page/tls.js).
import { selfSignedCredentials } from '../../examples/chat-page/tls.js';

let made;

/** `{ key, cert }` in PEM, for `https.createServer` / `http2.createSecureServer`. */
export function testCredentials() {
  made ??= selfSignedCredentials();
  return made;
}
