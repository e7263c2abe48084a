/**
 * Text from a request, made safe for one line of a log (CWE-117, CWE-150): every C0 and C1 control (and
 * DEL, and the Unicode line and paragraph separators) is written as an escape, so that nothing a client
 * sent moves the cursor, clears a terminal, starts a new line or an 8-bit CSI (U+009B) sequence; a
 * backslash is doubled, so that an escape in the line is always ours. The result is bounded: a long
 * value ends with "…" and how many characters were left out.
 */

/** The longest text written for one value (before escaping). */
export const LOG_TEXT_MAX = 200;

/** C0, DEL and C1 controls, the Unicode line and paragraph separators, and the escape character itself. */
export function isUnsafeInLog(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || code === 0x5c;
}

export function logText(value: string, max = LOG_TEXT_MAX): string {
  const cut = value.length > max ? value.slice(0, max) : value;
  let escaped = '';
  let from = 0;
  for (let i = 0; i < cut.length; i++) {
    const code = cut.charCodeAt(i);
    if (!isUnsafeInLog(code)) continue;
    escaped += cut.slice(from, i) + escapeCode(code);
    from = i + 1;
  }
  escaped += cut.slice(from);
  return cut.length === value.length ? escaped : `${escaped}…(+${value.length - max})`;
}

function escapeCode(code: number): string {
  if (code === 0x5c) return '\\\\';
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}
