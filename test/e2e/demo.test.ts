// The demo page in Chromium, on every example: the chat, the live gate log, the buttons that open sockets the
// gate refuses, a refused chat socket that says why, and a log that shows other people's handshakes without
// anything of theirs. Screenshots go to test/e2e/screenshots/.
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chromiumChildren, launchChromium, loginThroughForm, waitForText } from './browser.js';
import { gateLogLines, screenshot, tryProbe, waitForGateLog, watchAttemptKey } from './demo-page.js';
import { examples } from './examples.js';
import { portClosed, type RunningServer, startServer } from './launcher.js';
import { chromiumMissing } from './requirements.js';

const list = examples();
let browser: Browser | undefined;

beforeAll(async () => {
  if (!chromiumMissing && list.some((example) => !example.skip)) browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (!chromiumMissing) expect(chromiumChildren()).toEqual([]);
});

/** Reads GET /gate-log as `viewer` until the replay is over (the `live` event); returns the raw stream. */
async function readGateLog(baseUrl: string, viewer?: string): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/gate-log${viewer ? `?viewer=${viewer}` : ''}`, {
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('event: live\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  controller.abort();
  return text;
}

for (const example of list) {
  const run = !example.skip && !chromiumMissing;
  describe.skipIf(!run)(
    `demo page on ${example.name}${run ? '' : ` (skipped: ${example.skip ?? chromiumMissing})`}`,
    () => {
      let server: RunningServer;
      const contexts: BrowserContext[] = [];

      beforeAll(async () => {
        server = await startServer(example);
      });

      afterAll(async () => {
        if (!server) return;
        const { graceful } = await server.stop();
        if (!graceful) console.warn(`${example.name} did not exit within 3 s of SIGTERM; killed\n${server.log()}`);
        expect(await portClosed(server.host, server.port)).toBe(true);
      });

      beforeEach(({ onTestFailed }) => {
        onTestFailed(() => console.error(`--- ${example.name} server log (pid ${server?.pid}) ---\n${server?.log()}`));
        return async () => {
          for (const context of contexts.splice(0)) await context.close();
        };
      });

      const newContext = async (options: BrowserContextOptions = {}) => {
        const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, ...options });
        contexts.push(context);
        return context;
      };

      it('chats, logs its own accepted handshake, and shows every refusal the buttons cause, with its code', async () => {
        const context = await newContext({ viewport: { width: 1280, height: 920 } }); // the whole log in the picture
        const page = await context.newPage();
        await loginThroughForm(page, server.url, 'alice');
        await waitForText(page, '#status', 'connected');
        await waitForGateLog(page, /^101 accepted \/chat http\/1\.1 you · chat$/);
        await waitForText(page, '#live', 'live');
        const bob = await (await newContext()).newPage();
        await loginThroughForm(bob, server.url, 'bob');
        await waitForText(bob, '#status', 'connected');
        await page.fill('#text', 'hello, gate');
        await page.press('#text', 'Enter');
        await waitForText(bob, '#log', /alice: hello, gate/);
        await bob.fill('#text', 'hi alice! try the buttons');
        await bob.press('#text', 'Enter');
        await waitForText(page, '#log', /alice: hello, gate\s*bob: hi alice! try the buttons/);
        await waitForGateLog(page, /^101 accepted \/chat http\/1\.1$/); // bob's, not alice's

        await tryProbe(page, 'origin', /^browser: close 1006 · gate: 403 ORIGIN_FORBIDDEN$/);
        await tryProbe(page, 'session', /^browser: close 1006 · gate: 401 REJECTED$/);
        await tryProbe(page, 'subprotocol', /^browser: close 1006 · gate: 400 NO_SUBPROTOCOL$/);
        await tryProbe(page, 'slow', /^browser: close 1006 · gate: 503 HANDSHAKE_TIMEOUT$/);
        await waitForGateLog(page, /^403 ORIGIN_FORBIDDEN \/chat http\/1\.1 you · another origin$/);
        await waitForGateLog(page, /^401 REJECTED \/chat http\/1\.1 you · no session$/);
        await waitForGateLog(page, /^400 NO_SUBPROTOCOL \/chat http\/1\.1 you · unknown subprotocol$/);
        await waitForGateLog(page, /^503 HANDSHAKE_TIMEOUT \/slow http\/1\.1 you · slow hook$/);
        await waitForText(page, '#counts', /^\d+ accepted · \d+ refused( · \d+ closed)?$/);
        await screenshot(page, `demo-${example.name}`);

        // Narrow: one column, nothing wider than the screen.
        await page.setViewportSize({ width: 400, height: 800 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);
        await screenshot(page, `demo-narrow-${example.name}`, { fullPage: true });
      });

      it('a refused chat socket says why, from the gate log, and offers to log in again (dark scheme)', async () => {
        const context = await newContext({ colorScheme: 'dark' });
        const page = await context.newPage();
        await loginThroughForm(page, server.url, 'carol');
        await waitForText(page, '#status', 'connected');
        await context.clearCookies(); // the session is gone, as after a logout elsewhere or a server restart
        await page.click('#reconnect');
        await waitForText(page, '#status', 'refused');
        await waitForText(page, '#why', 'refused: 401 REJECTED');
        await waitForText(page, '#advice', /log in again/);
        expect(await page.isVisible('#refusal')).toBe(true);
        expect(await page.isDisabled('#text')).toBe(true);
        await waitForGateLog(page, /^401 REJECTED \/chat http\/1\.1 you · chat$/);
        await screenshot(page, `demo-refused-${example.name}`);
        await Promise.all([page.waitForURL(`${server.url}/`), page.click('#refusal button')]);
        await page.waitForSelector('form[action="/login"]');
      });

      it("shows other people's handshakes without their cookies, tokens, query, attempt ids or name", async () => {
        const alicePage = await (await newContext()).newPage();
        const aliceKey = watchAttemptKey(alicePage);
        await loginThroughForm(alicePage, server.url, 'alice');
        await waitForText(alicePage, '#status', 'connected');
        await waitForGateLog(alicePage, /you · chat$/);
        const before = (await gateLogLines(alicePage)).length;

        const bobContext = await newContext();
        const bobPage = await bobContext.newPage();
        const bobKey = watchAttemptKey(bobPage);
        const bobName = 'bob-b0b5ecret';
        await loginThroughForm(bobPage, server.url, bobName);
        await waitForText(bobPage, '#status', 'connected');
        await tryProbe(bobPage, 'subprotocol', /gate: 400 NO_SUBPROTOCOL/);
        // Bob's own sockets, with a token in the query and another in the subprotocol list.
        const secrets = ['qu3ry-t0ken-0f-b0b', 'pr0t0col-t0ken-0f-b0b'];
        const outcomes = await bobPage.evaluate(
          ([query, token]) => {
            const open = (path: string, protocols: string[]) =>
              new Promise<string>((resolve) => {
                const socket = new WebSocket(`ws://${location.host}${path}`, protocols);
                socket.onopen = () => {
                  resolve(`open ${socket.protocol}`);
                  socket.close();
                };
                socket.onclose = (event) => resolve(`close ${event.code}`);
              });
            return Promise.all([
              open(`/chat?token=${query}`, ['chat.v2', `bearer.${token}`]),
              open(`/chat?token=${query}`, ['chat.v9', `bearer.${token}`]),
            ]);
          },
          secrets as [string, string],
        );
        expect(outcomes).toEqual(['open chat.v2', 'close 1006']);

        // Alice sees bob's four handshakes (his chat, his probe, his two sockets), none of them as hers.
        await alicePage.waitForFunction(
          (count) => document.querySelectorAll('#gate-log .entry:not(.closed)').length >= count,
          before + 4,
        );
        const bobs = (await gateLogLines(alicePage)).slice(0, 4).sort();
        expect(bobs).toEqual([
          '101 accepted /chat http/1.1',
          '101 accepted /chat http/1.1',
          '400 NO_SUBPROTOCOL /chat http/1.1',
          '400 NO_SUBPROTOCOL /chat http/1.1',
        ]);
        expect((await gateLogLines(alicePage)).filter((line) => line.includes('you ·'))).toEqual([
          '101 accepted /chat http/1.1 you · chat',
        ]);

        const bobCookies = (await bobContext.cookies()).map((cookie) => cookie.value);
        const forbidden = [...secrets, ...bobCookies, bobName, bobKey()!, aliceKey()!];
        expect(bobKey()).toMatch(/^[0-9a-f]{32}$/);
        expect(aliceKey()).toMatch(/^[0-9a-f]{32}$/);
        const page = await alicePage.content();
        const stream = await readGateLog(server.url, aliceKey());
        expect(stream).toMatch(/"mine":true,"attempt":1\}/); // alice's own chat, by number
        for (const secret of forbidden) {
          expect(page).not.toContain(secret);
          expect(stream).not.toContain(secret);
        }
      });
    },
  );
}
