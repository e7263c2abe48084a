// The real clients that come from Debian, not npm: Chromium and python3-websockets. `.ci/run` installs them.
// On a machine without them, their scenarios are skipped with the way to get them; in CI they are required.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const INSTALL = 'apt-get install chromium python3-websockets';

export const PYTHON = '/usr/bin/python3';

function missing(what: string, present: boolean): string | undefined {
  if (present) return undefined;
  if (process.env.CI) throw new Error(`${what} is required in CI: ${INSTALL}`);
  return `${what} is not installed (${INSTALL})`;
}

export const chromiumMissing = missing('/usr/bin/chromium', existsSync('/usr/bin/chromium'));
export const pythonMissing = missing(
  `${PYTHON} with websockets`,
  spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0,
);
