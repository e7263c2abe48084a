/**
 * Header access over `IncomingMessage.rawHeaders`. Node joins repeated headers (`a, b`) or drops all
 * but the first (for Host, among others), which hides exactly the duplicates a strict handshake must
 * refuse (RFC 6455 §4.1: Sec-WebSocket-Key and Host appear once). The raw list keeps every line.
 */

/** Every line of every header, keyed by lower-cased name, in arrival order. */
export type HeaderLines = ReadonlyMap<string, readonly string[]>;

export function indexRawHeaders(rawHeaders: readonly string[]): HeaderLines {
  const lines = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const seen = lines.get(name);
    if (seen === undefined) lines.set(name, [value]);
    else seen.push(value);
  }
  return lines;
}

const NONE: readonly string[] = [];

export function headerLines(headers: HeaderLines, name: string): readonly string[] {
  return headers.get(name) ?? NONE;
}

/** The value of a header that must appear exactly once, else undefined. */
export function singleHeader(headers: HeaderLines, name: string): string | undefined {
  const values = headers.get(name);
  return values?.length === 1 ? values[0] : undefined;
}
