// Snippets run as a newcomer runs them (`node app.mjs` in their project), and a real ws client against them.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import WebSocket from 'ws';
import { cleanEnv } from './project.js';

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

/** `node ...args` (or `command ...args`) in `cwd`, its stdout and stderr kept. */
export function start(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
  command = process.execPath,
): Running {
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}

/** A port nothing listens on right now (the OS's choice for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once `port` accepts a TCP connection; rejects if the process exits first or after `ms`. */
export async function listening(running: Pick<Running, 'exited' | 'output'>, port: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline && !exited) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listened on ${port}${exited ? ' (the process exited)' : ''}:\n${running.output()}`);
}

export type Outcome =
  | { open: true; protocol: string; messages: string[]; socket: WebSocket }
  | { open: false; status: number; body: string; code: string | undefined };

/** A ws client: open with its first message, or the HTTP answer that refused it. */
export function handshake(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<Outcome> {
  const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(String(data)));
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      const first = () => resolve({ open: true, protocol: socket.protocol, messages, socket });
      if (messages.length > 0) first();
      else socket.once('message', () => setImmediate(first));
    });
    socket.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        request.destroy();
        const code = response.headers['wsgate-code'];
        resolve({
          open: false,
          status: response.statusCode ?? 0,
          body,
          code: typeof code === 'string' ? code : undefined,
        });
      });
    });
    socket.once('error', (error) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(error);
    });
  });
}

/** Sends `text` and resolves with the next message. */
export async function echo(socket: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  socket.send(text);
  const message = await reply;
  socket.close();
  return message;
}
