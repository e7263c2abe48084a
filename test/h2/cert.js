// A self-signed certificate for localhost, 127.0.0.1 and ::1, made once per process (selfsigned: Node's
// WebCrypto, no openssl), for tests that serve TLS.
import selfsigned from 'selfsigned';

let made;

/** `{ key, cert }` in PEM, for `https.createServer` / `http2.createSecureServer`. */
export function testCredentials() {
  made ??= selfsigned
    .generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    })
    .then((pems) => ({ key: pems.private, cert: pems.cert }));
  return made;
}
