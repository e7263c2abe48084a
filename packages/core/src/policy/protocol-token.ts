/**
 * A token carried in the subprotocol list. Browsers cannot set headers on a WebSocket request, so the
 * common idiom is `new WebSocket(url, ['chat.v1', 'bearer.<token>'])`. The entry is taken out of the
 * offered list before negotiation, so it can never be selected and echoed back in the 101 (where
 * proxies and logs would see it once more).
 */

export function takeProtocolToken(
  offered: readonly string[],
  prefix: string | undefined,
): { offered: readonly string[]; token: string | undefined } {
  if (prefix === undefined || prefix === '') return { offered, token: undefined };
  let token: string | undefined;
  const rest: string[] = [];
  for (const protocol of offered) {
    if (!hasPrefix(protocol, prefix)) rest.push(protocol);
    else token ??= protocol.slice(prefix.length);
  }
  return { offered: rest, token };
}

/**
 * ASCII case-insensitive, as protocol tokens are compared elsewhere: `Bearer.x` is a token entry for the
 * prefix `bearer.` too, and must never stay in the list where a selector could echo it.
 */
function hasPrefix(protocol: string, prefix: string): boolean {
  return protocol.length >= prefix.length && protocol.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}
