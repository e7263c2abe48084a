// Raw HTTP/1.1 over TCP for the contract suite: requests written byte for byte (duplicate headers, absolute-form
// targets, HTTP/2.0 request lines, pipelining), and every response on the connection parsed, in order.
import { KEY, RawClient } from '../abuse/raw.js';

export { KEY };

/** A request: `headers` replace or add to the defaults; null removes one; an array gives several lines. */
export interface RequestSpec {
  readonly method?: string;
  readonly path: string;
  /** The request target, when it is not `path` (absolute form). `{port}` is replaced. */
  readonly target?: string;
  readonly version?: string;
  /** Without the handshake's own headers (Upgrade, Connection, Sec-WebSocket-Key, -Version). */
  readonly plain?: boolean;
  readonly headers?: Readonly<Record<string, string | readonly string[] | null>>;
  /** Bytes after the head (a body, a frame). */
  readonly after?: string | Buffer;
}

export function requestBytes(port: number, spec: RequestSpec): Buffer {
  const fill = (text: string) => text.replaceAll('{port}', String(port));
  const handshake: Record<string, string> = spec.plain
    ? {}
    : { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13' };
  const headers: Record<string, string | readonly string[] | null> = {
    Host: `127.0.0.1:${port}`,
    ...handshake,
    ...spec.headers,
  };
  let text = `${spec.method ?? 'GET'} ${fill(spec.target ?? spec.path)} ${spec.version ?? 'HTTP/1.1'}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === null) continue;
    for (const line of typeof value === 'string' ? [value] : value) text += `${name}: ${fill(line)}\r\n`;
  }
  const head = Buffer.from(`${text}\r\n`, 'latin1');
  const after = spec.after === undefined ? Buffer.alloc(0) : Buffer.from(spec.after);
  return Buffer.concat([head, after]);
}

export interface Response {
  readonly status: number;
  readonly statusLine: string;
  /** Every header line as received, names as written. */
  readonly lines: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** Every value of `name` (any case). */
  all(name: string): string[];
  /** The single value of `name`; throws when it was sent more than once. */
  get(name: string): string | undefined;
}

/** What came back on one connection. */
export interface Exchange {
  readonly responses: Response[];
  /** Bytes after a 101's head: frames. */
  readonly frames: Buffer;
  /** Bytes after the last complete response that are not frames (e.g. content sent to a HEAD). */
  readonly trailing: Buffer;
  /** Whether the server ended the connection. */
  readonly closed: boolean;
  /** The (first) request's method. */
  readonly method: string;
}

/**
 * Parses the responses in `bytes`, `methods` giving each one's request method (a HEAD response has no
 * body). Stops at a 101 (what follows are frames) and at an incomplete response.
 */
export function parseResponses(
  bytes: Buffer,
  methods: readonly string[],
): { responses: Response[]; frames: Buffer; trailing: Buffer } {
  const responses: Response[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const [statusLine = '', ...headerLines] = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const lines = headerLines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const status = Number(statusLine.split(' ')[1]);
    const all = (name: string) => lines.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    const bodyStart = end + 4;
    const body = readBody(bytes, bodyStart, status, methods[responses.length] ?? 'GET', all);
    if (body === undefined) break;
    const get = (name: string) => {
      const values = all(name);
      if (values.length > 1) throw new Error(`${name} sent ${values.length} times: ${JSON.stringify(values)}`);
      return values[0];
    };
    responses.push({ status, statusLine, lines, body: body.bytes, all, get });
    at = body.next;
    if (status === 101) return { responses, frames: bytes.subarray(at), trailing: Buffer.alloc(0) };
  }
  return { responses, frames: Buffer.alloc(0), trailing: bytes.subarray(at) };
}

function readBody(
  bytes: Buffer,
  start: number,
  status: number,
  method: string,
  all: (name: string) => string[],
): { bytes: Buffer; next: number } | undefined {
  if (method === 'HEAD' || status === 101 || status === 204 || status === 304) {
    return { bytes: Buffer.alloc(0), next: start };
  }
  if (all('transfer-encoding').some((value) => /chunked/i.test(value))) {
    const chunks: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = bytes.indexOf('\r\n', at);
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
      if (size === 0)
        return bytes.length >= lineEnd + 4 ? { bytes: Buffer.concat(chunks), next: lineEnd + 4 } : undefined;
      if (bytes.length < lineEnd + 2 + size + 2) return undefined;
      chunks.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = all('content-length')[0];
  if (length === undefined) return { bytes: bytes.subarray(start), next: bytes.length }; // to the close
  const next = start + Number(length);
  return next <= bytes.length ? { bytes: bytes.subarray(start, next), next } : undefined;
}

/**
 * Writes `bytes` on a new connection and reads until `done` holds (default: one complete response per
 * method, or a 101) or the server closes; then closes this side. Never waits longer than `ms`.
 */
export async function exchange(
  port: number,
  bytes: Buffer,
  options: { methods?: readonly string[]; done?: (exchange: Exchange) => boolean; ms?: number } = {},
): Promise<Exchange> {
  const methods = options.methods ?? ['GET'];
  const done = options.done ?? ((ex: Exchange) => answered(ex, methods.length));
  const client = await RawClient.open(port);
  const view = () => exchangeOf(client, methods);
  client.write(bytes);
  try {
    await client.until((c) => c.endedByServer || done(view()), options.ms ?? 5_000);
  } catch {
    // the connection closed, or nothing more came: what arrived is the answer
  }
  const result = view();
  client.destroy();
  await client.closed;
  return result;
}

/** What a raw client received so far, parsed. */
export function exchangeOf(client: RawClient, methods: readonly string[] = ['GET']): Exchange {
  return { ...parseResponses(client.bytes, methods), closed: client.endedByServer, method: methods[0] ?? 'GET' };
}

/**
 * A 101, or `count` complete responses, the last one read to the close when it announced one (so that
 * `closed` says whether the server ended the connection as it said it would).
 */
function answered(ex: Exchange, count: number): boolean {
  if (ex.responses.some((response) => response.status === 101)) return true;
  const last = ex.responses[count - 1];
  if (last === undefined) return false;
  return ex.closed || !last.all('connection').some((value) => /\bclose\b/i.test(value));
}

/** Sends one request and returns its exchange. */
export function send(port: number, spec: RequestSpec, ms?: number): Promise<Exchange> {
  return exchange(port, requestBytes(port, spec), { methods: [spec.method ?? 'GET'], ...(ms && { ms }) });
}
