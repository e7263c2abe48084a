// Types for the shared session store.
export const SESSION_SECONDS: number;
export interface SessionStore {
  /** A new session for `user`, under a new random id (never one the client chose: no fixation). */
  create(user: string): string;
  /** The user of a live session, or undefined. */
  user(id: string | undefined): string | undefined;
  destroy(id: string): void;
}
export function createSessionStore(): SessionStore;
