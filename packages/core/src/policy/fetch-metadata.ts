/**
 * Fetch Metadata (https://w3c.github.io/webappsec-fetch-metadata/): browsers send `Sec-Fetch-Site`
 * on WebSocket handshakes, saying how the requesting page relates to the target: 'same-origin',
 * 'same-site', 'cross-site', or 'none' (user-initiated). It is a second, independent signal next to
 * Origin: a page on another site cannot forge it, since `Sec-` headers are forbidden to scripts.
 *
 * Only browsers send it, and a client that is not a browser can omit or invent it at will, so the
 * header can only ever *refuse* browsers, never vouch for anyone. That decides the edge cases:
 * - absent: allowed (a non-browser client, or a browser predating Fetch Metadata);
 * - exactly the token 'cross-site': refused;
 * - any other value, including unknown or malformed ones: allowed. A browser sends one of the four
 *   tokens; anything else came from a non-browser client, which could as well have sent nothing.
 *   Refusing unknown tokens would also break the day the spec adds one.
 * - more than one header line: refused. A browser sends one; several lines are malformed, and
 *   refusing costs nothing legitimate.
 *
 * Note: a cross-site page that the Origin policy deliberately allows (an allowOrigins entry for
 * another site) arrives with 'cross-site', so this check belongs only where cross-site is unwanted.
 */

/**
 * Returns true when the request may proceed. `values` are the Sec-Fetch-Site header lines as received
 * (empty when absent). The value is a Structured Field token (RFC 8941 §3.3.4), so the comparison is
 * case-sensitive; parameters ('cross-site;x=1') do not change the token, and surrounding spaces and
 * tabs are not part of it.
 */
export function fetchMetadataAllows(values: readonly string[]): boolean {
  if (values.length === 0) return true;
  if (values.length > 1) return false;
  return tokenOf(values[0] ?? '') !== 'cross-site';
}

/** The bare token of a Structured Field item: up to the first ';', without surrounding SP/HTAB. */
function tokenOf(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon < 0 ? value : value.slice(0, semicolon)).replace(/^[ \t]+|[ \t]+$/g, '');
}
