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
    if (token === undefined && protocol.startsWith(prefix)) token = protocol.slice(prefix.length);
    else if (!protocol.startsWith(prefix)) rest.push(protocol);
  }
  return { offered: rest, token };
}
