// The example chat contract (DESIGN.md "The example chat") on the Express example: supertest for the HTTP
// side, real ws clients for the WebSocket side, and the start script run as a user runs it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createChat } from '../src/app.js';

let app: ReturnType<typeof createChat>;
let server: Server;
let port: number;
const clients: WebSocket[] = [];

beforeEach(async () => {
  vi.spyOn(console, 'error').mockImplementation(() => {}); // logHandshake's lines
  app = createChat({ host: '127.0.0.1', secret: 'test secret' });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await app.wsgate.close({ timeout: 100 });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  vi.restoreAllMocks();
});

async function login(name: string): Promise<string> {
  const response = await request(server).post('/login').type('form').send({ name }).expect(303);
  expect(response.headers.location).toBe('/');
  return (response.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]).join('; ');
}

interface Opened {
  socket?: WebSocket;
  messages: Array<Record<string, unknown>>;
  status?: number;
  body?: string;
}

/** A browser-like client: same-origin Origin, the session cookie, offering chat.v2 and chat.v1. */
function connect(
  cookie: string | undefined,
  { protocols = ['chat.v2', 'chat.v1'], origin = `http://127.0.0.1:${port}`, host = `127.0.0.1:${port}` } = {},
): Promise<Opened> {
  const headers: Record<string, string> = { Host: host };
  if (cookie !== undefined) headers.Cookie = cookie;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/chat`, protocols, { origin, headers });
  clients.push(socket);
  const messages: Array<Record<string, unknown>> = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode, body, messages });
      });
    });
    socket.once('error', reject);
  });
}

async function until<T>(read: () => T | undefined): Promise<T> {
  return vi.waitFor(() => {
    const value = read();
    if (value === undefined) throw new Error('not yet');
    return value;
  });
}

describe('HTTP', () => {
  it('GET /health is 200 ok; GET / is the login form, then the chat page once logged in', async () => {
    await request(server).get('/health').expect(200, 'ok');
    const form = await request(server).get('/').expect(200);
    expect(form.text).toContain('action="/login"');
    const cookie = await login('alice');
    const page = await request(server).get('/').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<b id="user">alice</b>');
    expect(page.text).toContain("['chat.v2', 'chat.v1']");
  });

  it('POST /login sets a signed HttpOnly SameSite=Lax sid cookie; a blank name is 400; logout clears it', async () => {
    const response = await request(server).post('/login').type('form').send({ name: '  bob  ' }).expect(303);
    const [line] = response.headers['set-cookie'] as unknown as string[];
    expect(line).toMatch(/^sid=s%3Abob\.[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
    await request(server).post('/login').type('form').send({ name: '   ' }).expect(400);
    const logout = await request(server).post('/logout').expect(303);
    expect(logout.headers.location).toBe('/');
    expect((logout.headers['set-cookie'] as unknown as string[])[0]).toMatch(
      /^sid=; Path=\/; Expires=Thu, 01 Jan 1970/,
    );
  });

  it('a plain GET /chat is 426, with or without a session', async () => {
    const plain = await request(server).get('/chat').expect(426);
    expect(plain.headers.upgrade).toBe('websocket');
    await request(server)
      .get('/chat')
      .set('Cookie', await login('carol'))
      .expect(426);
  });
});

describe('WebSocket /chat', () => {
  it('welcome with the server-preferred protocol; say is broadcast; malformed gets an error', async () => {
    const alice = await connect(await login('alice'), { protocols: ['chat.v1', 'chat.v2'] });
    const bob = await connect(await login('bob'), { protocols: ['chat.v1'] });
    expect(alice.socket?.protocol).toBe('chat.v2');
    expect(await until(() => alice.messages[0])).toEqual({ type: 'welcome', user: 'alice', protocol: 'chat.v2' });
    expect(await until(() => bob.messages[0])).toEqual({ type: 'welcome', user: 'bob', protocol: 'chat.v1' });
    alice.socket?.send(JSON.stringify({ type: 'say', text: 'hi all' }));
    const said = { type: 'message', user: 'alice', text: 'hi all' };
    expect(await until(() => bob.messages[1])).toEqual(said);
    expect(await until(() => alice.messages[1])).toEqual(said);
    bob.socket?.send('not json');
    expect(await until(() => bob.messages[2])).toEqual({ type: 'error' });
  });

  it('without a session: 401 {"error":"login required"}, from the auth middleware', async () => {
    const refused = await connect(undefined);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body ?? '')).toEqual({ error: 'login required' });
    const forged = await connect('sid=s%3Aalice.forged');
    expect(forged.status).toBe(401);
  });

  it('foreign Origin 403, foreign Host 403, no common subprotocol 400', async () => {
    const cookie = await login('dave');
    expect((await connect(cookie, { origin: 'http://evil.example' })).status).toBe(403);
    expect(
      (await connect(cookie, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).status,
    ).toBe(403);
    expect((await connect(cookie, { protocols: ['chat.v3'] })).status).toBe(400);
    // localhost:PORT is the other name the example answers to.
    const local = await connect(cookie, { host: `localhost:${port}`, origin: `http://localhost:${port}` });
    expect(local.socket?.protocol).toBe('chat.v2');
  });
});

describe('pnpm start', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child?.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('prints "listening on http://HOST:PORT" with the real port for PORT=0, serves, and stops on SIGTERM', async () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    const line = await vi.waitFor(
      () => {
        const match = out.match(/^listening on http:\/\/127\.0\.0\.1:(\d+)\n/);
        if (match === null) throw new Error(`not yet: ${out}`);
        return match;
      },
      { timeout: 15_000, interval: 50 },
    );
    const url = `http://127.0.0.1:${line[1]}`;
    expect(Number(line[1])).toBeGreaterThan(0);
    const health = await fetch(`${url}/health`);
    expect(await health.text()).toBe('ok');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
