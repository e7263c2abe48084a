// Logging out, over real sockets: each example started as a process, logins over HTTP, chat sockets with `ws`.
// Logging out one session closes that session's sockets in every tab with 4001 and the reason; the same user's
// other session and another user stay connected; the old cookie, replayed, gets 401.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeWs, login, openWs } from './clients.js';
import { examples, serverSideSessions } from './examples.js';
import { type RunningServer, startServer } from './launcher.js';

for (const example of examples()) {
  const skip = example.skip ?? (serverSideSessions.has(example.name) ? undefined : 'its sessions are not server-side');
  describe.skipIf(skip !== undefined)(`${example.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(example);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("POST /logout closes that session's sockets in every tab with 4001; the rest stay open; replay is 401", async () => {
      const wsUrl = `ws://${server.host}:${server.port}/chat`;
      const open = async (cookie: string) => {
        const outcome = await openWs(wsUrl, ['chat.v2'], { headers: { Cookie: cookie, Origin: server.url } });
        if (!outcome.open) throw new Error(`the chat refused a logged-in socket: ${JSON.stringify(outcome)}`);
        await outcome.inbox.next((message) => message.type === 'welcome');
        return outcome;
      };
      const ada = await login(server.url, 'ada');
      const tabs = [await open(ada), await open(ada)];
      const adaElsewhere = await open(await login(server.url, 'ada')); // the same user, another session
      const bob = await open(await login(server.url, 'bob'));
      try {
        const closes = tabs.map(({ socket }) => once(socket, 'close').then(([code, why]) => [code, String(why)]));
        const since = server.log().length;
        const logout = await fetch(`${server.url}/logout`, {
          method: 'POST',
          headers: { Cookie: ada, Origin: server.url },
          redirect: 'manual',
        });
        expect(logout.status).toBe(303);
        await logout.arrayBuffer();
        const revoked = [4001, 'you logged out in another tab'];
        expect(await Promise.all(closes)).toEqual([revoked, revoked]);
        await server.waitForLine(/wsgate close revoked 4001 \/chat/, { since, timeoutMs: 5000 });
        // The other session still talks, and bob still hears it.
        expect([adaElsewhere.socket.readyState, bob.socket.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
        adaElsewhere.socket.send(JSON.stringify({ type: 'say', text: 'still here' }));
        expect(await bob.inbox.next((message) => message.type === 'message')).toEqual({
          type: 'message',
          user: 'ada',
          text: 'still here',
        });
        // The old cookie finds no session.
        const replay = await openWs(wsUrl, ['chat.v2'], { headers: { Cookie: ada, Origin: server.url } });
        expect(replay).toMatchObject({ open: false, status: 401 });
      } finally {
        for (const { socket } of [...tabs, adaElsewhere, bob]) await closeWs(socket);
      }
    });
  });
}
