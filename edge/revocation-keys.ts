/**
 * Where revocations live in Redis: the one layout the revocation API writes and every edge process
 * reads, so a revocation made through any API process is seen by every edge at once.
 *
 * - `<prefix>:revocation:<listId>:ids`: a sorted set; member = the revoked identifier (a session id),
 *   score = when the revocation ends, in epoch milliseconds. Expired members are removed lazily by the
 *   API (ZREMRANGEBYSCORE) and ignored by readers (score <= now).
 * - `<prefix>:revocation:lists`: a hash; field = list id, value = the list's JSON
 *   ({ id, name, description?, createdAt }).
 * - `<prefix>:revocation:events`: a pub/sub channel; every add or remove publishes
 *   `{ "listId": n, "op": "add" | "remove", "ids": [...], "until"?: epochMs }`, so an edge that keeps
 *   a local copy updates it without polling (and re-reads the set on reconnect).
 */
export const revocationKeys = (prefix: string) => ({
  ids: (listId: number): string => `${prefix}:revocation:${listId}:ids`,
  lists: `${prefix}:revocation:lists`,
  events: `${prefix}:revocation:events`,
});

export interface RevocationEvent {
  listId: number;
  op: 'add' | 'remove';
  ids: string[];
  /** Epoch milliseconds the added identifiers stay revoked until (adds only). */
  until?: number;
}
