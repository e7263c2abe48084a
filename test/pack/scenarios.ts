// What each README says its snippet does, checked with a real ws client against the running snippet.

import { expect } from 'vitest';
import { echo, handshake, type Outcome } from './processes.js';

type Open = Extract<Outcome, { open: true }>;
type Refused = Extract<Outcome, { open: false }>;

function opened(outcome: Outcome): Open {
  if (!outcome.open) throw new Error(`expected a 101, got ${outcome.status}: ${outcome.body}`);
  return outcome;
}

function refused(outcome: Outcome): Omit<Refused, 'open'> {
  if (outcome.open) throw new Error('expected a refusal, got a 101');
  const { status, body, code } = outcome;
  return { status, body, code };
}

/** The cookies a response sets, as a Cookie header. */
function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

export const scenarios: Record<string, (port: number) => Promise<void>> = {
  // @wsgate/core: /echo with echo.v1, a banned cookie refused by the hook, 426 for a plain GET.
  async core(port) {
    const ws = `ws://127.0.0.1:${port}`;
    const client = opened(await handshake(`${ws}/echo`, { protocols: ['echo.v1'] }));
    expect(client.messages[0]).toMatch(/^hello, echo\.v1, since \d+$/);
    expect(await echo(client.socket, 'ping')).toBe('ping');
    // A browser's request: its own Origin, and the cookie the hook refuses.
    const banned = { Cookie: 'sid=banned', Origin: `http://127.0.0.1:${port}` };
    expect(refused(await handshake(`${ws}/echo`, { headers: banned }))).toEqual({
      status: 403,
      body: '{"error":"banned"}',
      code: undefined,
    });
    expect(refused(await handshake(`${ws}/echo`, { headers: { Origin: 'https://evil.example' } }))).toMatchObject({
      status: 403,
      code: 'ORIGIN_FORBIDDEN',
    });
    const plain = await fetch(`http://127.0.0.1:${port}/echo`);
    expect(plain.status).toBe(426);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello');
  },

  // @wsgate/express: log in, then the room with the session; 401 without it, 403 from another origin.
  async express(port) {
    const origin = `http://127.0.0.1:${port}`;
    const login = await fetch(`${origin}/login`, { method: 'POST', body: new URLSearchParams({ name: 'ada' }) });
    expect(login.status).toBe(204);
    const headers = { Cookie: cookiesOf(login), Origin: origin };
    const client = opened(await handshake(`ws://127.0.0.1:${port}/rooms/lobby`, { protocols: ['chat.v1'], headers }));
    expect(client.messages[0]).toBe('ada joined lobby (chat.v1)');
    expect(await echo(client.socket, 'hi')).toBe('ada: hi');
    expect(refused(await handshake(`ws://127.0.0.1:${port}/rooms/lobby`, { protocols: ['chat.v1'] }))).toEqual({
      status: 401,
      body: '{"error":"login required"}',
      code: undefined,
    });
    const elsewhere = { ...headers, Origin: 'https://evil.example' };
    expect(refused(await handshake(`ws://127.0.0.1:${port}/rooms/lobby`, { headers: elsewhere }))).toMatchObject({
      status: 403,
      code: 'ORIGIN_FORBIDDEN',
    });
    expect((await fetch(`${origin}/rooms/lobby`)).status).toBe(426);
    expect((await fetch(`${origin}/nowhere`)).status).toBe(404);
  },

  // @wsgate/koa: the signed cookie from /login opens /echo; without it, Koa's 401.
  async koa(port) {
    await loginThenEcho(port);
  },

  // @wsgate/hono: the same with hono/cookie's signed cookie and the middleware's 401; and another origin's 403.
  async hono(port) {
    const headers = await loginThenEcho(port);
    const elsewhere = { ...headers, Origin: 'https://evil.example' };
    expect(refused(await handshake(`ws://127.0.0.1:${port}/echo`, { headers: elsewhere }))).toMatchObject({
      status: 403,
      code: 'ORIGIN_FORBIDDEN',
    });
  },

  // @wsgate/fastify: the token in the query; the schema's 400 without it, the hook's 401 with a wrong one.
  async fastify(port) {
    const ws = `ws://127.0.0.1:${port}`;
    const client = opened(await handshake(`${ws}/echo?token=secret`, { protocols: ['echo.v1'] }));
    expect(client.messages[0]).toMatch(/^hello 127\.0\.0\.1, protocol echo\.v1, since \d{4}-/);
    expect(await echo(client.socket, 'ping')).toBe('ping');
    expect(refused(await handshake(`${ws}/echo?token=wrong`))).toEqual({
      status: 401,
      body: '{"error":"bad token"}',
      code: undefined,
    });
    expect(refused(await handshake(`${ws}/echo`)).status).toBe(400);
    expect(refused(await handshake(`${ws}/nowhere`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/echo?token=secret`)).status).toBe(426);
  },
};

/**
 * POST /login's signed cookie opens /echo (echo.v1) and echoes; without it, the app's 401 `login required`; a plain
 * GET /echo, 426. Returns the logged-in request's headers.
 */
async function loginThenEcho(port: number): Promise<Record<string, string>> {
  const origin = `http://127.0.0.1:${port}`;
  const login = await fetch(`${origin}/login`, { method: 'POST' });
  expect(login.status).toBe(204);
  const headers = { Cookie: cookiesOf(login), Origin: origin };
  const client = opened(await handshake(`ws://127.0.0.1:${port}/echo`, { protocols: ['echo.v1'], headers }));
  expect(client.messages[0]).toBe('hello ada (echo.v1)');
  expect(await echo(client.socket, 'ping')).toBe('ping');
  expect(refused(await handshake(`ws://127.0.0.1:${port}/echo`, { protocols: ['echo.v1'] }))).toEqual({
    status: 401,
    body: 'login required',
    code: undefined,
  });
  expect((await fetch(`${origin}/echo`)).status).toBe(426);
  return headers;
}
