// A WebSocket client over HTTP/2 for the tests (RFC 8441): Node's http2 client sends the extended CONNECT by
// hand, and a `ws` WebSocket made client-side speaks frames over the stream. For requests Node's client
// refuses to send (no :path, no :scheme), `rawH2Request` writes the HEADERS frame itself.
import { once } from 'node:events';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import tls from 'node:tls';

const WebSocket = createRequire(import.meta.url)('ws');

/** An HTTP/2 session over TLS (any certificate) whose first SETTINGS from the server has arrived. */
export async function openSession(origin, options = {}) {
  const session = http2.connect(origin, { rejectUnauthorized: false, ...options });
  session.on('error', () => {}); // surfaced through the requests' own outcomes
  const [settled] = await Promise.race([
    once(session, 'remoteSettings').then(() => ['ok']),
    once(session, 'error').then(([error]) => [error]),
    once(session, 'close').then(() => [new Error(`the session to ${origin} closed before SETTINGS`)]),
  ]);
  if (settled !== 'ok') throw settled;
  session.wsgateOrigin = origin;
  return session;
}

/**
 * Sends an extended CONNECT for a WebSocket on `path` over `session`: the stream at once (a test may reset it
 * before the answer), and the response's headers when they arrive (rejected, with `rstCode`, when the
 * stream is reset first). `headers` adds or replaces fields (pseudo-headers too); null leaves one out.
 */
export function requestH2(session, path, { headers = {}, protocols } = {}) {
  if (session.remoteSettings.enableConnectProtocol !== true) {
    throw new Error('the server did not advertise extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)');
  }
  const fields = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': path,
    ':authority': new URL(session.wsgateOrigin).host,
    'sec-websocket-version': '13',
    ...(protocols === undefined ? {} : { 'sec-websocket-protocol': protocols.join(', ') }),
    ...headers,
  };
  for (const name of Object.keys(fields)) if (fields[name] === null) delete fields[name];
  const stream = session.request(fields, { endStream: false });
  stream.on('error', () => {}); // a reset is reported by 'close' and rstCode
  const response = new Promise((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('close', () =>
      reject(
        Object.assign(new Error(`stream closed before a response, rstCode ${stream.rstCode}`), {
          rstCode: stream.rstCode,
        }),
      ),
    );
  });
  response.catch(() => {}); // awaited by the caller, or not at all when it resets the stream itself
  return { stream, response };
}

/** `requestH2`, awaited: `{ session, stream, status, headers }`, on a new session unless one is given. */
export async function connectH2(origin, path, { session, ...options } = {}) {
  session ??= await openSession(origin);
  const { stream, response } = requestH2(session, path, options);
  const headers = await response;
  return { session, stream, status: headers[':status'], headers };
}

/** The rest of the stream as text, once the server ended it (or reset it). */
export async function readBody(stream) {
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    body += chunk;
  });
  if (!stream.closed) await once(stream, 'close');
  return body;
}

/** A refusal: `{ status, headers, body, rstCode }` (the stream closed after the response). */
export async function refusedH2(origin, path, options) {
  const { stream, status, headers } = await connectH2(origin, path, options);
  const body = await readBody(stream);
  return { status, headers, body, rstCode: stream.rstCode };
}

/** A client-side ws WebSocket over a stream whose 200 arrived: it masks what it sends (RFC 6455 §5.3). */
export function clientWebSocket(stream, { maxPayload = 100 * 1024 * 1024 } = {}) {
  const socket = new WebSocket(null, undefined, { autoPong: true, closeTimeout: 5_000 });
  socket._isServer = false; // a null address makes a server-side socket; flip it before setSocket builds the Sender
  socket.setSocket(stream, Buffer.alloc(0), { maxPayload });
  socket.on('error', () => {});
  return socket;
}

/** Connects and expects the 200: `{ session, stream, headers, socket }`. */
export async function openWebSocketH2(origin, path, options) {
  const opened = await connectH2(origin, path, options);
  if (opened.status !== 200) {
    const body = await readBody(opened.stream);
    throw new Error(`expected 200 for ${path}, got ${opened.status}: ${body}`);
  }
  return { ...opened, socket: clientWebSocket(opened.stream) };
}

/** The next message on a ws socket, as text. */
export async function nextText(socket) {
  const [data] = await once(socket, 'message');
  return String(data);
}

/** Closes a ws socket with 1000 and waits for the close. */
export async function closeSocket(socket) {
  if (socket.readyState === WebSocket.CLOSED) return;
  const closed = once(socket, 'close');
  socket.close(1000);
  await closed;
}

const ERRORS = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

/** RFC 7541 §5.1: an integer with an N-bit prefix. */
function hpackInteger(value, prefixBits, flags) {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** RFC 7541 §6.2.2: each field as a literal without indexing, with a new name, no Huffman coding. */
function headerBlock(pairs) {
  const bytes = [];
  for (const [name, value] of pairs) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    bytes.push(0x00, ...hpackInteger(n.length, 7, 0), ...n, ...hpackInteger(v.length, 7, 0), ...v);
  }
  return Buffer.from(bytes);
}

/** RFC 9113 §4.1: a frame header and its payload. */
function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** RFC 7541 Appendix A: the static table's :status entries, as the first byte of an indexed field. */
const STATIC_STATUS = { 136: 200, 137: 204, 138: 206, 139: 304, 140: 400, 141: 404, 142: 500 };

/**
 * Sends one request's HEADERS (the `pairs`, in order, exactly as given) on stream 1 of a fresh TLS
 * connection, and resolves with the first thing the server sent for it: `HEADERS` (with `:status N` when
 * the status is a static-table entry), `RST_STREAM <code>`, or `GOAWAY <code>`.
 */
export function rawH2Request(port, pairs, { endStream = false } = {}) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { port, host: '127.0.0.1', servername: 'localhost', ALPNProtocols: ['h2'], rejectUnauthorized: false },
      () => {
        socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
        socket.write(frame(4, 0, 0)); // an empty SETTINGS
      },
    );
    const finish = (event) => {
      socket.destroy();
      resolve(event);
    };
    let buffer = Buffer.alloc(0);
    let sent = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const [type, flags] = [buffer[3], buffer[4]];
        const id = buffer.readUInt32BE(5) & 0x7fffffff;
        const payload = buffer.subarray(9, 9 + length);
        buffer = buffer.subarray(9 + length);
        if (type === 4 && (flags & 1) === 0) {
          socket.write(frame(4, 1, 0)); // ACK
          if (!sent) {
            sent = true;
            socket.write(frame(1, 4 | (endStream ? 1 : 0), 1, headerBlock(pairs)));
          }
        } else if (type === 3 && id === 1) {
          return finish(`RST_STREAM ${ERRORS[payload.readUInt32BE(0)]}`);
        } else if (type === 7) {
          return finish(`GOAWAY ${ERRORS[payload.readUInt32BE(4)]}`);
        } else if (type === 1 && id === 1) {
          const status = STATIC_STATUS[payload[0]];
          return finish(status === undefined ? 'HEADERS' : `HEADERS :status ${status}`);
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve('(connection closed)'));
  });
}
