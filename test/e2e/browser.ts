// Chromium (Debian's, driven by playwright-core) and the "other origin" page server.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Debian's Chromium, headless; `extraArgs` e.g. `--ignore-certificate-errors` for the examples' self-signed TLS. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs],
  });
}

/** Waits until `selector`'s text satisfies `expected` (a string to equal or a RegExp); the error tells what it was. */
export async function waitForText(page: Page, selector: string, expected: string | RegExp, timeoutMs = 10_000) {
  const pattern =
    typeof expected === 'string' ? `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : expected.source;
  try {
    await page.waitForFunction(
      ({ selector, pattern }) => new RegExp(pattern).test(document.querySelector(selector)?.textContent ?? ''),
      { selector, pattern },
      { timeout: timeoutMs },
    );
  } catch {
    const actual = await page
      .locator(selector)
      .textContent({ timeout: 500 })
      .catch(() => '(no such element)');
    throw new Error(`${selector} on ${page.url()} is ${JSON.stringify(actual)}, expected ${expected}`);
  }
}

/** Logs in through the page's form as a person would; the page then loads the chat. */
export async function loginThroughForm(page: Page, baseUrl: string, name: string) {
  await page.goto(`${baseUrl}/`);
  await page.fill('input[name=name]', name);
  await Promise.all([page.waitForURL(`${baseUrl}/`, { waitUntil: 'load' }), page.press('input[name=name]', 'Enter')]);
  await page.waitForSelector('#protocol', { timeout: 5000 });
}

/**
 * A page on another origin (its own port) that opens the WebSocket given in `?target=` and writes what happens
 * to `#events`: `open <protocol>`, `error`, `close <code>`.
 */
export async function startOtherOrigin(): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const page = `<!doctype html><meta charset="utf-8"><title>other origin</title><pre id="events"></pre><script>
const events = document.getElementById('events');
const note = (text) => { events.textContent += text + '\\n'; };
const socket = new WebSocket(new URLSearchParams(location.search).get('target'), ['chat.v2']);
socket.onopen = () => note('open ' + socket.protocol);
socket.onerror = () => note('error');
socket.onclose = (event) => note('close ' + event.code);
</script>`;
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** This process's child processes whose command is chromium (none should be left after browser.close()). */
export function chromiumChildren(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /chrom/i.test(line));
  } catch {
    return []; // ps exits 1 when there is no child at all
  }
}
