/**
 * The close codes a gate sends, in one table. RFC 6455 §7.4.1 defines 1000–1015; §7.4.2 leaves 4000–4999
 * to applications, which is where the codes RFC 6455 has no word for live: a session that ended. A client
 * reads the table by its `retry` column: reconnect (with backoff) after the first kind, never without new
 * credentials after the second.
 */

export const CloseCodes = {
  /** RFC 6455 §7.4.1: the handler (or the client) is done. */
  normal: 1000,
  /** RFC 6455 §7.4.1 "going away": `gate.close()`. Reconnect is fine. */
  goingAway: 1001,
  /** RFC 6455 §7.4.1 (1011): the route's handler failed. Reconnect is fine. */
  internalError: 1011,
  /** IANA registry, "Service Restart": `gate.drain()`. Reconnect is fine (elsewhere, after a backoff). */
  serviceRestart: 1012,
  /** IANA registry, "Try Again Later". Reconnect is fine, later. */
  tryAgainLater: 1013,
  /** wsgate: `gate.revoke(key)` — the session or user was revoked (e.g. logged out). Do not retry as is. */
  revoked: 4001,
  /** wsgate: the connection's expiry (`expiresAt`) passed and `refresh` did not extend it. Do not retry as is. */
  expired: 4002,
} as const;

export type CloseCodeName = keyof typeof CloseCodes;

/** Whether a client may reconnect with the credentials it has after this close code. */
export function mayReconnect(code: number): boolean {
  // 4000–4999 are wsgate's (or the app's) "session ended" codes; 1008 is a policy violation.
  return !(code >= 4000 && code <= 4999) && code !== 1008;
}

/**
 * A close code a server may send: 1000, 1001, 1011–1014 (RFC 6455 §7.4.1 and the IANA registry), or
 * 3000–4999 (§7.4.2). 1004–1006 and 1015 must never be sent.
 */
export function isSendableCloseCode(code: unknown): code is number {
  return (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    (code === 1000 ||
      code === 1001 ||
      code === 1002 ||
      code === 1003 ||
      (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999))
  );
}

/** RFC 6455 §5.5: a control frame's payload is at most 125 bytes, 2 of them the code. */
export function checkCloseReason(reason: unknown, option: string): string {
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) {
    throw new TypeError(`wsgate: ${option} must be a string of at most 123 UTF-8 bytes (RFC 6455 §5.5)`);
  }
  return reason;
}

export function checkCloseCode(code: unknown, option: string): number {
  if (!isSendableCloseCode(code)) {
    throw new TypeError(
      `wsgate: ${option} must be a close code a server may send (1000, 1001, 1007–1014 or 3000–4999), got ${String(code)}`,
    );
  }
  return code;
}
