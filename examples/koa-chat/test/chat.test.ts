import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createChat } from '../src/app.js';

let server: Server;
let close: () => Promise<void>;
let port: number;
const clients: WebSocket[] = [];

beforeEach(async () => {
  const { app, ws } = createChat({ keys: ['test-key'] });
  server = ws.attach(createServer(app.callback()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  close = async () => {
    await ws.close({ timeout: 100 });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await close();
});

async function login(name: string): Promise<string> {
  const response = await request(server).post('/login').type('form').send({ name }).expect(303);
  return (response.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]).join('; ');
}

interface Opened {
  socket?: WebSocket;
  messages: unknown[];
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
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ messages, status: res.statusCode, body }));
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

describe('HTTP side', () => {
  it('serves the login form, then the chat page once logged in', async () => {
    const anonymous = await request(server)
      .get('/')
      .expect(200)
      .expect('content-type', /text\/html/);
    expect(anonymous.text).toContain('action="/login"');
    const response = await request(server).post('/login').type('form').send({ name: 'ada' }).expect(303);
    expect(response.headers.location).toBe('/');
    const cookies = response.headers['set-cookie'] as unknown as string[];
    const sid = cookies.find((line) => line.startsWith('sid='));
    expect(sid).toMatch(/; path=\//i);
    expect(sid).toMatch(/; samesite=lax/i);
    expect(sid).toMatch(/; httponly/i);
    expect(cookies.some((line) => line.startsWith('sid.sig='))).toBe(true);
    const cookie = cookies.map((line) => line.split(';')[0]).join('; ');
    const page = await request(server).get('/').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<b id="user">ada</b>');
    expect(page.text).toContain("['chat.v2', 'chat.v1']");
  });

  it('logs out: clears the cookie and forgets the session', async () => {
    const cookie = await login('ada');
    const response = await request(server).post('/logout').set('Cookie', cookie).expect(303);
    expect(response.headers.location).toBe('/');
    expect((response.headers['set-cookie'] as unknown as string[]).join('\n')).toMatch(
      /sid=;.*expires=Thu, 01 Jan 1970/i,
    );
    const page = await request(server).get('/').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('action="/login"');
    expect((await connect(cookie)).status).toBe(401);
  });

  it('rejects an empty name', async () => {
    await request(server).post('/login').type('form').send({ name: '  ' }).expect(400);
  });

  it('answers /health', async () => {
    await request(server).get('/health').expect(200, 'ok');
  });

  it('answers 426 to a plain GET /chat', async () => {
    const response = await request(server).get('/chat').expect(426);
    expect(response.headers.upgrade).toBe('websocket');
  });
});

describe('WebSocket side', () => {
  it('welcomes a logged-in user with chat.v2 and broadcasts what they say', async () => {
    const ada = await connect(await login('ada'));
    const bob = await connect(await login('bob'), { protocols: ['chat.v1'] });
    expect(ada.socket?.protocol).toBe('chat.v2');
    expect(bob.socket?.protocol).toBe('chat.v1');
    await until(() => ada.messages.length > 0 && bob.messages.length > 0);
    expect(ada.messages[0]).toEqual({ type: 'welcome', user: 'ada', protocol: 'chat.v2' });
    expect(bob.messages[0]).toEqual({ type: 'welcome', user: 'bob', protocol: 'chat.v1' });
    ada.socket?.send(JSON.stringify({ type: 'say', text: 'hello' }));
    await until(() => ada.messages.length > 1 && bob.messages.length > 1);
    expect(bob.messages[1]).toEqual({ type: 'message', user: 'ada', text: 'hello' });
    expect(ada.messages[1]).toEqual({ type: 'message', user: 'ada', text: 'hello' });
    ada.socket?.send('not json');
    await until(() => ada.messages.length > 2);
    expect(ada.messages[2]).toEqual({ type: 'error' });
  });

  it('answers 401 JSON from the auth middleware without a session', async () => {
    const answer = await connect(undefined);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body ?? '')).toEqual({ error: 'login required' });
    const forged = await connect('sid=whatever; sid.sig=forged');
    expect(forged.status).toBe(401);
  });

  it('answers 400 when no offered subprotocol is ours', async () => {
    expect((await connect(await login('ada'), { protocols: ['chat.v3'] })).status).toBe(400);
  });

  it('refuses another origin (403) and a foreign Host (403)', async () => {
    const cookie = await login('ada');
    expect((await connect(cookie, { origin: 'http://evil.example' })).status).toBe(403);
    expect(
      (await connect(cookie, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).status,
    ).toBe(403);
    // localhost:PORT is the other name the example answers to.
    const local = await connect(cookie, { host: `localhost:${port}`, origin: `http://localhost:${port}` });
    expect(local.socket?.protocol).toBe('chat.v2');
  });
});

describe('pnpm start', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('listens on HOST and PORT (0 works) and says where', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n$/.exec(String(line));
    expect(match).not.toBeNull();
    const response = await fetch(`http://127.0.0.1:${match?.[1]}/health`);
    expect(await response.text()).toBe('ok');
  });
});
