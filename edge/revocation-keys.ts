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
 * - `<prefix>:revocation:next-list-id`: a counter (INCR) that gives a new list its id, so ids are
 *   never reused after a list is deleted (added by the revocation API; readers never touch it).
 *
 * Every key starts with the same `<prefix>` (`{vigil}` by default), so in a Redis Cluster they share
 * one slot and the API's Lua scripts may touch them together.
 */
export const revocationKeys = (prefix: string) => ({
  ids: (listId: number): string => `${prefix}:revocation:${listId}:ids`,
  lists: `${prefix}:revocation:lists`,
  events: `${prefix}:revocation:events`,
  nextListId: `${prefix}:revocation:next-list-id`,
});

export interface RevocationEvent {
  listId: number;
  op: 'add' | 'remove';
  ids: string[];
  /** Epoch milliseconds the added identifiers stay revoked until (adds only). */
  until?: number;
}

/**
 * A ZRANGE … WITHSCORES reply as [member, score] pairs, whichever protocol the connection speaks:
 * flat [m, s, m, s] in RESP2, [[m, s], …] in RESP3.
 */
export function scoredMembers(reply: unknown): Array<[string, number]> {
  if (!Array.isArray(reply)) return [];
  if (reply.length > 0 && Array.isArray(reply[0])) return (reply as Array<[unknown, unknown]>).map(([m, s]) => [String(m), Number(s)]);
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), Number(reply[i + 1])]);
  return pairs;
}
