// Steps on the demo page (chat-page's chat page with its gate log), shared by the demo's browser tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { waitForText } from './browser.js';
import { repoRoot } from './examples.js';

/** Where the demo's tests put their screenshots (gitignored; the README's copy is docs/demo.png). */
export const screenshotDir = join(repoRoot, 'test/e2e/screenshots');

export async function screenshot(page: Page, name: string, { fullPage = false } = {}) {
  mkdirSync(screenshotDir, { recursive: true });
  // No focus ring or hover in the picture; animations disabled: the newest entry's highlight is shown settled.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), animations: 'disabled', fullPage });
}

/** The parts of an entry a person reads as one line: status, code, route, transport, whose (not the time). */
const LINE_PARTS = '.status, .code, .meta > :not(time)';

/** The gate log's entries as a person reads them, newest first: `401 REJECTED /chat http/1.1 you · chat`. */
export function gateLogLines(page: Page): Promise<string[]> {
  return page.$$eval(
    '#gate-log .entry:not(.closed)',
    (items, parts) =>
      items.map((item) => Array.from(item.querySelectorAll(parts), (part) => part.textContent).join(' ')),
    LINE_PARTS,
  );
}

/** Waits until the gate log has an entry whose line matches `pattern`. */
export async function waitForGateLog(page: Page, pattern: RegExp, timeoutMs = 10_000) {
  try {
    await page.waitForFunction(
      ({ source, parts }) =>
        Array.from(document.querySelectorAll('#gate-log .entry:not(.closed)')).some((item) =>
          new RegExp(source).test(Array.from(item.querySelectorAll(parts), (part) => part.textContent).join(' ')),
        ),
      { source: pattern.source, parts: LINE_PARTS },
      { timeout: timeoutMs },
    );
  } catch {
    throw new Error(`no gate log entry matches ${pattern}; the log is:\n${(await gateLogLines(page)).join('\n')}`);
  }
}

/** Clicks a probe button and waits for its result: what the browser saw and what the gate logged. */
export async function tryProbe(page: Page, name: string, expected: RegExp) {
  await page.click(`[data-probe=${name}] button`);
  await waitForText(page, `[data-probe=${name}] .result`, expected);
}

/** The viewer key a page tags its attempts with, read off the WebSocket URLs it opens (`?attempt=<key>.<n>`). */
export function watchAttemptKey(page: Page): () => string | undefined {
  let key: string | undefined;
  page.on('websocket', (socket) => {
    key ??= /[?&]attempt=([0-9a-f]{32})\./.exec(socket.url())?.[1];
  });
  return () => key;
}
