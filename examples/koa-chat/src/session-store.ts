/**
 * koa-session's external store (its `store: { get, set, destroy }` option), kept in this process's memory: the
 * cookie carries only the session's id, and logging out deletes the session here, so a replayed cookie finds
 * nothing. Production keeps sessions in a store every process shares (Redis…), behind the same three methods.
 */
export function createSessionStore() {
  const sessions = new Map<string, { data: unknown; expiresAt: number }>();
  return {
    async get(id: string): Promise<unknown> {
      const entry = sessions.get(id);
      if (entry === undefined) return undefined;
      if (entry.expiresAt > Date.now()) return entry.data;
      sessions.delete(id);
      return undefined;
    },
    // maxAge: the session's lifetime in ms, as koa-session gives it (the cookie's, plus a margin for stores).
    async set(id: string, data: unknown, maxAge: number | 'session'): Promise<void> {
      const lifetime = typeof maxAge === 'number' ? maxAge : 86_400_000;
      sessions.set(id, { data, expiresAt: Date.now() + lifetime });
    },
    async destroy(id: string): Promise<void> {
      sessions.delete(id);
    },
  };
}
