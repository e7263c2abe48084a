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

/** Whether a list holds `token`, compared case-insensitively (RFC 9110 §7.6.1 Connection, §7.8 Upgrade). */
export function listHasToken(lines: readonly string[], token: string): boolean {
  for (const element of splitList(lines)) if (element.toLowerCase() === token) return true;
  return false;
}
