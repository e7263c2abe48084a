// The example chat contract (DESIGN.md "The example chat") on the Fastify example: supertest for the HTTP
// side, real ws clients for the WebSocket side, and the start script run as a user runs it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createChat } from '../src/app.js';

let app: Awaited<ReturnType<typeof createChat>>['app'];
let room: Awaited<ReturnType<typeof createChat>>['room'];
let base: string;
let port: number;
let stderr: string[];
const clients: WebSocket[] = [];

beforeEach(async () => {
  stderr = [];
  vi.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line)); // logHandshake
  ({ app, room } = await createChat({ host: '127.0.0.1', secret: 'test secret' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await app.close();
  vi.restoreAllMocks();
});

async function login(name: string): Promise<string> {
  const response = await request(base).post('/login').type('form').send({ name }).expect(303);
  expect(response.headers.location).toBe('/');
  return (response.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]).join('; ');
}

interface Opened {
  socket?: WebSocket;
  protocol?: string;
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
    socket.once('open', () => resolve({ socket, protocol: socket.protocol, messages }));
    socket.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode, body, messages });
        req.destroy();
      });
    });
    socket.once('error', (error) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(error);
    });
  });
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('HTTP', () => {
  it('GET / shows the login form, then the chat page once logged in', async () => {
    const anonymous = await request(base).get('/').expect(200);
    expect(anonymous.headers['content-type']).toMatch(/^text\/html/);
    expect(anonymous.text).toContain('action="/login"');
    const cookie = await login('alice');
    const page = await request(base).get('/').set('Cookie', cookie).expect(200);
    expect(page.text).toContain('<b id="user">alice</b>');
    expect(page.text).toContain("['chat.v2', 'chat.v1']");
  });

  it('POST /login sets a signed, HttpOnly, SameSite=Lax session cookie on / and 303s', async () => {
    const response = await request(base).post('/login').type('form').send({ name: 'bob' }).expect(303);
    const [line] = response.headers['set-cookie'] as unknown as string[];
    expect(line).toMatch(/^sid=[^;]+\.[^;]+;/); // value.signature (@fastify/cookie's signer)
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
  });

  it('POST /login refuses an empty or too long name (400)', async () => {
    await request(base).post('/login').type('form').send({ name: '' }).expect(400);
    await request(base).post('/login').type('form').send({ name: '   ' }).expect(400);
    await request(base)
      .post('/login')
      .type('form')
      .send({ name: 'x'.repeat(33) })
      .expect(400);
  });

  it('POST /logout clears the cookie and ends the session', async () => {
    const cookie = await login('carol');
    const response = await request(base).post('/logout').set('Cookie', cookie).expect(303);
    expect(response.headers.location).toBe('/');
    expect((response.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
    expect((await request(base).get('/').set('Cookie', cookie)).text).toContain('action="/login"');
    expect((await connect(cookie)).status).toBe(401);
  });

  it('GET /health is 200 ok; a plain GET /chat is 426, logged in or not', async () => {
    const health = await request(base).get('/health').expect(200);
    expect(health.text).toBe('ok');
    const plain = await request(base).get('/chat').expect(426);
    expect(plain.headers.upgrade).toBe('websocket');
    await request(base)
      .get('/chat')
      .set('Cookie', await login('dave'))
      .expect(426);
  });
});

describe('WebSocket /chat', () => {
  it('a logged-in client is welcomed with chat.v2, the server’s preference', async () => {
    const opened = await connect(await login('alice'), { protocols: ['chat.v1', 'chat.v2'] });
    expect(opened.protocol).toBe('chat.v2');
    await until(() => opened.messages.length === 1);
    expect(opened.messages[0]).toEqual({ type: 'welcome', user: 'alice', protocol: 'chat.v2' });
  });

  it('chat.v1 only is accepted with chat.v1; no common protocol is 400', async () => {
    const cookie = await login('old');
    expect((await connect(cookie, { protocols: ['chat.v1'] })).protocol).toBe('chat.v1');
    const none = await connect(cookie, { protocols: ['chat.v3'] });
    expect(none.status).toBe(400);
    expect(stderr).toContain('wsgate reject NO_SUBPROTOCOL 400 /chat');
  });

  it('messages are broadcast to everyone; malformed ones get an error, never a crash', async () => {
    const alice = await connect(await login('alice'));
    const bob = await connect(await login('bob'));
    await until(() => alice.messages.length === 1 && bob.messages.length === 1);
    alice.socket!.send(JSON.stringify({ type: 'say', text: 'hi bob' }));
    await until(() => bob.messages.length === 2 && alice.messages.length === 2);
    expect(bob.messages[1]).toEqual({ type: 'message', user: 'alice', text: 'hi bob' });
    expect(alice.messages[1]).toEqual({ type: 'message', user: 'alice', text: 'hi bob' });
    bob.socket!.send('not json');
    bob.socket!.send(Buffer.from([1, 2, 3]), { binary: true });
    await until(() => bob.messages.length === 4);
    expect(bob.messages.slice(2)).toEqual([{ type: 'error' }, { type: 'error' }]);
    expect(room.size).toBe(2);
  });

  it('without a valid session: 401 with the JSON body (no cookie, or a forged one)', async () => {
    const none = await connect(undefined);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body!)).toEqual({ error: 'login required' });
    const forged = await connect('sid=someone.forged-signature');
    expect(forged.status).toBe(401);
    expect(stderr).toContain('wsgate reject REJECTED 401 /chat');
  });

  it('a foreign Origin is 403 even with the session cookie; a foreign Host is 403', async () => {
    const cookie = await login('mallory');
    expect((await connect(cookie, { origin: 'http://evil.example' })).status).toBe(403);
    expect(
      (await connect(cookie, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).status,
    ).toBe(403);
    expect(stderr).toContain('wsgate reject ORIGIN_FORBIDDEN 403 /chat');
    expect(stderr).toContain('wsgate reject HOST_FORBIDDEN 403 -');
    expect((await connect(cookie, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).protocol).toBe(
      'chat.v2',
    );
  });

  it('app.close() says 1001 "going away" to open chats', async () => {
    const opened = await connect(await login('zed'));
    const closed = once(opened.socket!, 'close');
    await app.close();
    const [code] = await closed;
    expect(code).toBe(1001);
  });
});

describe('pnpm start', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('listens on HOST:PORT (PORT=0 works), prints the URL, serves, and exits on SIGTERM', async () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    await until(() => /listening on http:\/\/127\.0\.0\.1:\d+\n/.test(out));
    expect(out).toMatch(/^listening on http:\/\/127\.0\.0\.1:(\d+)\n$/);
    const url = out.trim().split(' ').pop()!;
    expect(await (await fetch(`${url}/health`)).text()).toBe('ok');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
