// A small server-side session store, for the examples whose framework has no standard one (node-chat, hono-chat):
// a random id (the cookie holds only that) -> { user }, kept in this process's memory. Logging out destroys the
// session, so a replayed cookie finds nothing. Production keeps sessions in a store every process shares (Redis
// with a TTL…), behind the same three functions.
import { randomBytes } from 'node:crypto';

/** A session lives a day from login (the cookie's Max-Age too). */
export const SESSION_SECONDS = 86_400;

export function createSessionStore() {
  const sessions = new Map(); // id -> { user, expiresAt }
  return {
    /** A new session for `user`, under a new random id (never one the client chose: no fixation). */
    create(user) {
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { user, expiresAt: Date.now() + SESSION_SECONDS * 1000 });
      return id;
    },
    /** The user of a live session, or undefined. */
    user(id) {
      const session = id === undefined ? undefined : sessions.get(id);
      if (session === undefined) return undefined;
      if (session.expiresAt > Date.now()) return session.user;
      sessions.delete(id);
      return undefined;
    },
    destroy(id) {
      sessions.delete(id);
    },
  };
}
