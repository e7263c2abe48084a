/**
 * A small memo for parsers of header values that repeat from request to request (a server hears a few
 * Host and Origin values over and over). Bounded: when full it starts afresh, so a client sending
 * endless distinct values costs a re-parse, never memory. Results must be immutable (they are frozen).
 */
export function memoize<T extends object>(parse: (value: string) => T | undefined, size = 256) {
  const cache = new Map<string, T | undefined>();
  return (value: string): T | undefined => {
    const cached = cache.get(value);
    if (cached !== undefined || cache.has(value)) return cached;
    const parsed = parse(value);
    if (parsed !== undefined) Object.freeze(parsed);
    if (cache.size >= size) cache.clear();
    cache.set(value, parsed);
    return parsed;
  };
}
