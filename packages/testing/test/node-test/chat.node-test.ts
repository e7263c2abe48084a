// Run by node:test, not Vitest (see ../node-test.test.ts): the kit needs no test-runner globals. The file
// also ends only if nothing the kit opened is left open: node:test waits for its process to exit.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { closeAll, connect, expectHandshake, nextMessage, sendJson } from '../../src/index.js';

assert.equal((globalThis as { expect?: unknown }).expect, undefined);
assert.equal((globalThis as { describe?: unknown }).describe, undefined);

const app = wsgate(express());
app.ws(
  '/chat',
  { subprotocols: ['chat.v2'] },
  (req, res, next) =>
    req.get('cookie')?.includes('sid=') ? next() : void res.status(401).json({ error: 'login required' }),
  (socket) => {
    socket.send(JSON.stringify({ type: 'welcome' }));
    socket.on('message', (data) => socket.send(String(data)));
  },
);

afterEach(closeAll);
after(() => app.wsgate.close());

describe('the kit under node:test', () => {
  it('opens, and no message is lost', async () => {
    const socket = await connect(app, '/chat', { cookies: { sid: 'ada' }, protocols: ['chat.v2'] });
    assert.deepEqual(await nextMessage(socket), { type: 'welcome' });
    await sendJson(socket, { n: 1 });
    assert.deepEqual(await nextMessage(socket), { n: 1 });
  });

  it('refuses: 401 with the body, 403 for another origin', async () => {
    await expectHandshake(app, '/chat').toBeRefused(401, { error: 'login required' });
    await expectHandshake(app, '/chat').withCookie('sid', 'ada').withOrigin('http://evil.example').toBeRefused(403);
  });

  it('over TCP too, and the listener is closed by closeAll', async () => {
    await expectHandshake(app, '/chat', { transport: 'tcp' }).withCookie('sid', 'ada').toOpen({ protocol: undefined });
  });
});
