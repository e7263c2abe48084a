// The non-browser clients: login over HTTP, `ws`, undici's WebSocket and the python-websockets script.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, WebSocket as UndiciWebSocket, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';
import { PYTHON as python3 } from './requirements.js';

export type ChatMessage = { type: string; user?: string; text?: string; protocol?: string; transport?: string };

/**
 * POST /login like the page's form; returns the cookies the server set, as a Cookie header value (all of them:
 * Koa's signed cookies come as a pair, `sid` and `sid.sig`).
 */
export async function login(baseUrl: string, name: string): Promise<string> {
  const init = { method: 'POST', body: new URLSearchParams({ name }), redirect: 'manual' } as const;
  // Over https, the examples' certificate is self-signed: undici's fetch with an agent that accepts it.
  const response = baseUrl.startsWith('https:')
    ? await undiciFetch(`${baseUrl}/login`, { ...init, dispatcher: insecureAgent() })
    : await fetch(`${baseUrl}/login`, init);
  if (response.status !== 303) throw new Error(`POST /login answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
  const pairs = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!.trim());
  if (!pairs.some((pair) => pair.startsWith('sid='))) {
    throw new Error(`POST /login set no sid cookie: ${response.headers.getSetCookie().join(' | ')}`);
  }
  return pairs.join('; ');
}

let agent: Agent | undefined;
/** An undici agent that accepts any certificate (the examples' self-signed one), made on first use. */
export function insecureAgent(): Agent {
  agent ??= new Agent({ connect: { rejectUnauthorized: false } });
  return agent;
}

/** Messages received by a socket, with a wait for the first one that matches. */
export class Inbox {
  readonly messages: ChatMessage[] = [];
  private waiters = new Set<() => void>();

  push(data: unknown) {
    let message: ChatMessage;
    try {
      message = JSON.parse(String(data));
    } catch {
      message = { type: '(not JSON)', text: String(data) };
    }
    this.messages.push(message);
    for (const waiter of this.waiters) waiter();
  }

  next(predicate: (message: ChatMessage) => boolean, timeoutMs = 5000): Promise<ChatMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (!found) return;
        this.messages.splice(this.messages.indexOf(found), 1);
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

export type WsOutcome =
  | { open: true; socket: WebSocket; inbox: Inbox; headers: Record<string, string | string[] | undefined> }
  | {
      open: false;
      status?: number;
      headers?: Record<string, string | string[] | undefined>;
      body?: string;
      error?: string;
    };

/** Opens a `ws` client; resolves with the open socket, or with the refusal (status, headers, body). */
export function openWs(
  url: string,
  protocols: string[],
  options: { headers?: Record<string, string>; perMessageDeflate?: boolean } = {},
): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols, {
      headers: options.headers,
      perMessageDeflate: options.perMessageDeflate ?? true,
      handshakeTimeout: 10_000,
      rejectUnauthorized: false, // wss:// to the examples' self-signed certificate; ws offers no ALPN: HTTP/1.1
    });
    const inbox = new Inbox();
    let headers: Record<string, string | string[] | undefined> = {};
    socket.on('upgrade', (response) => {
      headers = response.headers;
    });
    socket.on('message', (data) => inbox.push(data));
    socket.once('open', () => resolve({ open: true, socket, inbox, headers }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        socket.terminate();
        resolve({ open: false, status: response.statusCode, headers: response.headers, body });
      });
    });
    socket.once('error', (error) => resolve({ open: false, error: error.message }));
  });
}

export function closeWs(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    socket.close(1000);
    setTimeout(() => socket.terminate(), 2000).unref();
  });
}

export type UndiciOutcome =
  | { open: true; socket: UndiciWebSocket; inbox: Inbox }
  | { open: false; closeCode: number; error: boolean };

/** Opens undici's WebSocket (its non-standard `headers` init carries Cookie and Origin). */
export function openUndici(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<UndiciOutcome> {
  return new Promise((resolve) => {
    const socket = new UndiciWebSocket(url, { protocols, headers });
    const inbox = new Inbox();
    let error = false;
    socket.onmessage = (event) => inbox.push(event.data);
    socket.onopen = () => resolve({ open: true, socket, inbox });
    socket.onerror = () => {
      error = true;
    };
    socket.onclose = (event) => resolve({ open: false, closeCode: event.code, error });
  });
}

export function closeUndici(socket: UndiciWebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === UndiciWebSocket.CLOSED) return resolve();
    socket.addEventListener('close', () => resolve());
    socket.close(1000);
  });
}

const script = fileURLToPath(new URL('./python_client.py', import.meta.url));

export interface PythonResult {
  ok: boolean;
  connected: boolean;
  websocketsVersion?: string;
  protocol?: string | null;
  extensions?: string[];
  extensionsHeader?: string | null;
  acceptMatches?: boolean;
  welcome?: ChatMessage;
  broadcast?: ChatMessage;
  malformedReply?: ChatMessage;
  echoedLength?: number;
  echoMatches?: boolean;
  closeCode?: number;
  error?: string;
  message?: string;
  status?: number | null;
}

/** Runs python_client.py with Debian's python3 (the one that has python3-websockets). */
export function runPython(options: Record<string, unknown>): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    execFile(python3, [script, JSON.stringify(options)], { timeout: 15_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop();
      if (error || !line) return reject(new Error(`python_client.py failed: ${error?.message}\n${stdout}${stderr}`));
      resolve(JSON.parse(line));
    });
  });
}
