/**
 * Header access over `IncomingMessage.rawHeaders`. Node joins repeated headers (`a, b`) or drops all
 * but the first (for Host, among others), which hides exactly the duplicates a strict handshake must
 * refuse (RFC 6455 §4.1: Sec-WebSocket-Key and Host appear once). The raw list keeps every line.
 *
 * Lookups scan the list and compare names case-insensitively in place: a handshake reads about ten
 * headers of a dozen, and scanning allocates nothing where an index would allocate a map per request.
 */

/** `[name, value, name, value, ...]`, as `IncomingMessage.rawHeaders`. */
export type HeaderLines = readonly string[];

const NONE: readonly string[] = [];

/** Every line of header `name` (lower case), in arrival order. */
export function headerLines(headers: HeaderLines, name: string): readonly string[] {
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!nameIs(headers[i] as string, name)) continue;
    if (lines === undefined) lines = [headers[i + 1] as string];
    else lines.push(headers[i + 1] as string);
  }
  return lines ?? NONE;
}

/** Whether header `name` (lower case) was sent at all. */
export function hasHeader(headers: HeaderLines, name: string): boolean {
  for (let i = 0; i + 1 < headers.length; i += 2) if (nameIs(headers[i] as string, name)) return true;
  return false;
}

/** The value of a header that must appear exactly once, else undefined. */
export function singleHeader(headers: HeaderLines, name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!nameIs(headers[i] as string, name)) continue;
    if (value !== undefined) return undefined;
    value = headers[i + 1] as string;
  }
  return value;
}

/** ASCII case-insensitive equality with a lower-case name (RFC 9110 §5.1: field names are case-insensitive). */
function nameIs(raw: string, lower: string): boolean {
  if (raw.length !== lower.length) return false;
  for (let i = 0; i < raw.length; i++) {
    let code = raw.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 0x20;
    if (code !== lower.charCodeAt(i)) return false;
  }
  return true;
}
