/**
 * RFC 9110 §5.6.1 lists (`#element`) and §5.6.2 tokens.
 *
 * A list is `element *( OWS "," OWS element )`; a recipient MUST accept empty elements
 * (`a,,b`, `, a`) and a field split over several lines is the same list as its lines joined by commas
 * (§5.3). Elements here are returned trimmed, empties dropped.
 */

export function splitList(lines: readonly string[]): string[] {
  const elements: string[] = [];
  for (const line of lines) {
    for (const part of line.split(',')) {
      const element = trimOws(part);
      if (element !== '') elements.push(element);
    }
  }
  return elements;
}

/** OWS is SP / HTAB (RFC 9110 §5.6.3), nothing else: a CR or LF here is not whitespace but an error. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 *       / DIGIT / ALPHA
 */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1;

export function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

/**
 * Whether a list holds `token` (lower case), compared case-insensitively (RFC 9110 §7.6.1 Connection,
 * §7.8 Upgrade). Scans in place: read on every handshake, it allocates nothing.
 */
export function listHasToken(lines: readonly string[], token: string): boolean {
  for (const line of lines) {
    let start = 0;
    while (start <= line.length) {
      let end = line.indexOf(',', start);
      if (end === -1) end = line.length;
      let from = start;
      let to = end;
      while (from < to && isOws(line.charCodeAt(from))) from++;
      while (to > from && isOws(line.charCodeAt(to - 1))) to--;
      if (to - from === token.length && equalsLowerCase(line, from, token)) return true;
      start = end + 1;
    }
  }
  return false;
}

function equalsLowerCase(text: string, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let code = text.charCodeAt(at + i);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}
