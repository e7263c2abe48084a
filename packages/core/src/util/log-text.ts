/**
 * Text from a request, made safe for one line of a log (CWE-117, CWE-150): every C0 and C1 control (and
 * DEL, and the Unicode line and paragraph separators) is written as an escape, so that nothing a client
 * sent moves the cursor, clears a terminal, starts a new line or an 8-bit CSI (U+009B) sequence; a
 * backslash is doubled, so that an escape in the line is always ours. The result is bounded: a long
 * value ends with "…" and how many characters were left out.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g;

/** The longest text written for one value (before escaping). */
export const LOG_TEXT_MAX = 200;

export function logText(value: string, max = LOG_TEXT_MAX): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  const escaped = cut.replace(UNSAFE, escapeChar);
  return cut.length === value.length ? escaped : `${escaped}…(+${value.length - max})`;
}

function escapeChar(char: string): string {
  if (char === '\\') return '\\\\';
  const code = char.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}
