// The same close codes on every transport: a revocation over an HTTP/2 stream (RFC 8441) closes with 4001
// like one over HTTP/1.1, and heartbeats ping over the stream; draft-76 has no close codes on the wire
// (its close is 0xFF 0x00) and no ping, so its connections close with a bare closing handshake, and the
// event reports the code the gate meant.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { openWebSocketH2 } from '../../../../test/h2/client.js';
import { anyOrigin, CloseCodes, type GateEvent } from '../../src/index.js';
import { connectHixie76 } from '../fixtures/hixie76-client.js';
import { closeH2Servers, startH2Server } from '../h2-server.js';
import { closeServers, eventually, startServer } from '../helpers.js';

afterEach(async () => {
  await closeH2Servers();
  await closeServers();
});

describe('over HTTP/2', () => {
  it('revoke closes the stream’s WebSocket with 4001 and the reason', async () => {
    const events: GateEvent[] = [];
    const s = await startH2Server((gate) => gate.route('/ws', { keys: () => ['user:ada'] }, () => {}), {
      onEvent: (event) => events.push(event),
    });
    const { socket } = await openWebSocketH2(s.origin, '/ws', {
      session: await s.session(),
      headers: { origin: s.origin },
    });
    const closed = once(socket, 'close');
    expect(s.gate.revoke('user:ada', { reason: 'logged out' }).closed).toBe(1);
    const [code, reason] = await closed;
    expect([code, String(reason)]).toEqual([CloseCodes.revoked, 'logged out']);
    await eventually(() => events.some((event) => event.outcome === 'close'));
    expect(events.find((event) => event.outcome === 'close')).toMatchObject({ cause: 'revoked', transport: 'h2' });
  });

  it('heartbeats ping over the stream: an answering peer stays, drain closes it with 1012', async () => {
    const s = await startH2Server((gate) => gate.route('/ws', { heartbeat: { interval: 100, timeout: 50 } }, () => {}));
    const { socket } = await openWebSocketH2(s.origin, '/ws', {
      session: await s.session(),
      headers: { origin: s.origin },
    });
    let pings = 0;
    socket.on('ping', () => pings++);
    await eventually(() => pings >= 2);
    expect(socket.readyState).toBe(socket.OPEN);
    const closed = once(socket, 'close');
    await s.gate.drain({ deadlineMs: 1_000 });
    expect((await closed)[0]).toBe(CloseCodes.serviceRestart);
  });
});

describe('over draft-76', () => {
  it('revoke ends the connection with the closing handshake; the event reports the code meant', async () => {
    const events: GateEvent[] = [];
    const { gate, port } = await startServer(
      (g) => g.route('/chat', { legacy: ['hixie-76'], keys: () => ({ session: 's1' }) }, () => {}),
      { origin: anyOrigin(), missingOrigin: 'allow', onEvent: (event) => events.push(event) },
    );
    const outcome = await connectHixie76(port, { path: '/chat' });
    if (!outcome.accepted) throw new Error(`refused: ${outcome.status}`);
    expect(gate.revoke({ session: 's1' }).closed).toBe(1);
    await outcome.connection.closed;
    expect(outcome.connection.closeFrameReceived).toBe(true);
    await eventually(() => events.some((event) => event.outcome === 'close'));
    expect(events.find((event) => event.outcome === 'close')).toMatchObject({
      cause: 'revoked',
      closeCode: 4001,
      transport: 'hixie-76',
    });
  });

  it('has no heartbeat: a draft-76 connection is never pinged', async () => {
    const { port } = await startServer(
      (g) => g.route('/chat', { legacy: ['hixie-76'], heartbeat: { interval: 50, timeout: 20 } }, () => {}),
      { origin: anyOrigin(), missingOrigin: 'allow' },
    );
    const outcome = await connectHixie76(port, { path: '/chat' });
    if (!outcome.accepted) throw new Error(`refused: ${outcome.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(outcome.connection.garbage).toBe(false);
    expect(outcome.connection.socket.destroyed).toBe(false);
    outcome.connection.close();
  });
});
