/**
 * Sec-WebSocket-Extensions, RFC 6455 §9.1:
 *
 *   extension-list = 1#extension
 *   extension      = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 *     ; a quoted-string value, once unescaped, MUST conform to the token ABNF.
 *
 * Whitespace (OWS) is allowed around the separators, as in every RFC 9110 list. Parsing is strict:
 * anything outside this grammar is 400 BAD_EXTENSIONS. Whether an offer is *acceptable* is a separate
 * question (RFC 7692 §5: an unacceptable permessage-deflate offer is declined, not refused).
 */

import { isTchar, isToken } from '../http/token-list.js';
import { type Rejection, reject } from './rejection.js';

/** One offered extension. A parameter without a value is `true`; repeated parameters keep every value. */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: Record<string, Array<string | true>>;
}

/** More offers than any client makes: refused before anything else reads them (see MAX_OFFERED_PROTOCOLS). */
export const MAX_EXTENSION_OFFERS = 128;

export function parseExtensions(lines: readonly string[]): ExtensionOffer[] | Rejection {
  const offers: ExtensionOffer[] = [];
  for (const line of lines) {
    if (!parseLine(line, offers) || offers.length > MAX_EXTENSION_OFFERS) return reject.badExtensions;
  }
  return offers;
}

/** A small cursor parser over one header line; false on the first character outside the grammar. */
function parseLine(line: string, offers: ExtensionOffer[]): boolean {
  let i = 0;
  const skipOws = () => {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < line.length && isTchar(line.charCodeAt(i))) i++;
    return line.slice(start, i);
  };
  const readQuoted = (): string | undefined => {
    i++; // opening DQUOTE
    let value = '';
    while (i < line.length) {
      const c = line[i++] as string;
      if (c === '"') return value;
      if (c === '\\') {
        if (i >= line.length) return undefined;
        value += line[i++];
      } else value += c;
    }
    return undefined; // unterminated
  };

  // Empty list elements are allowed (RFC 9110 §5.6.1); an element is only "empty" between commas.
  for (;;) {
    skipOws();
    if (i >= line.length) return true;
    if (line[i] === ',') {
      i++;
      continue;
    }
    const name = readToken();
    if (name === '') return false;
    const params: Record<string, Array<string | true>> = Object.create(null);
    skipOws();
    while (line[i] === ';') {
      i++;
      skipOws();
      const param = readToken();
      if (param === '') return false;
      skipOws();
      let value: string | true = true;
      if (line[i] === '=') {
        i++;
        skipOws();
        const raw = line[i] === '"' ? readQuoted() : readToken();
        if (raw === undefined || !isToken(raw)) return false;
        value = raw;
        skipOws();
      }
      const values = params[param];
      if (values === undefined) params[param] = [value];
      else values.push(value);
    }
    offers.push({ name, params });
    if (offers.length > MAX_EXTENSION_OFFERS) return false;
    if (i >= line.length) return true;
    if (line[i] !== ',') return false;
    i++;
  }
}
