// The dev log line (`logRejections`) over a real HTTP/2 connection: what a client puts in :path must not
// reach a terminal as control characters (CWE-117, CWE-150), C0 or C1 (U+009B is the 8-bit CSI, U+0085 NEL),
// and a long path is bounded. Pure cases of the escaping beside it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requestH2 } from '../../../../test/h2/client.js';
import { LOG_TEXT_MAX, logText } from '../../src/util/log-text.js';
import { closeH2Servers, startH2Server } from '../h2-server.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeH2Servers();
});

/** Whether `text` holds a control character a terminal would act on (C0, DEL, C1, U+2028/9). */
const hasControl = (text: string) =>
  [...text].some((char) => {
    const code = char.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
  });

describe('the log line of a refused handshake', () => {
  it('escapes the C0 and C1 controls a client put in :path, and bounds its length', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));
    const server = await startH2Server((gate) => gate.route('/chat', {}, () => {}), { logRejections: true });
    const session = await server.session();
    const paths = ['/x\u009b2J\u0085y', `/${'a'.repeat(5_000)}`];
    for (const path of paths) {
      const { response } = requestH2(session, path);
      expect((await response)[':status']).toBe(404);
    }
    await expect.poll(() => lines.length).toBe(2);
    const [controls, long] = lines as [string, string];
    expect(controls).toBe(
      `wsgate: refused 404 NOT_FOUND /x\\x9b2J\\x85y (h2, ${/, ([\d.]+ ms)\)$/.exec(controls)?.[1]})`,
    );
    expect(hasControl(controls)).toBe(false);
    expect(long.length).toBeLessThan(LOG_TEXT_MAX + 100);
    expect(long).toContain(`…(+${5_001 - LOG_TEXT_MAX})`);
  });
});

describe('logText', () => {
  it.each([
    ['/chat', '/chat'],
    ['/a\u001b[2Jb', '/a\\x1b[2Jb'],
    ['\r\nwsgate: accepted', '\\x0d\\x0awsgate: accepted'],
    ['\u0000\u007f\u0080\u009f', '\\x00\\x7f\\x80\\x9f'],
    ['\u2028\u2029', '\\u2028\\u2029'],
    ['a\\x1b', 'a\\\\x1b'],
    ['é漢', 'é漢'],
  ])('%j -> %j', (text, expected) => {
    expect(logText(text)).toBe(expected);
  });

  it('bounds the length and says how much was left out', () => {
    expect(logText('abcdef', 4)).toBe('abcd…(+2)');
    expect(logText('abcd', 4)).toBe('abcd');
  });

  it('never lets a control character through, whatever the input', () => {
    for (let code = 0; code < 0x3000; code++) {
      expect(hasControl(logText(`a${String.fromCharCode(code)}b`))).toBe(false);
    }
  });
});
