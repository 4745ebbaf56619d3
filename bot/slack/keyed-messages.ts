/**
 * Finding a message Vigil posted by the key in its metadata: how a try that was cut off between
 * Slack's answer and our record learns whether its message is already there, so it is neither
 * lost nor doubled. Pure: the callers page through Slack with their own clients.
 */

/** Where to look: one thread (its parent's ts), or the channel's history since a moment. */
export type KeyedWhere = { threadTs: string } | { oldest: Date };

/** The Web API method and its arguments for one page of that search. */
export function keyedSearchPage(channel: string, where: KeyedWhere, cursor: string | undefined): { method: 'conversations.replies' | 'conversations.history'; args: Record<string, unknown> } {
  const page = { channel, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
  // A minute before the first try: Slack's clock and ours may differ by that much.
  return 'threadTs' in where
    ? { method: 'conversations.replies', args: { ...page, ts: where.threadTs } }
    : { method: 'conversations.history', args: { ...page, oldest: String(Math.floor(where.oldest.getTime() / 1000) - 60) } };
}

interface KeyedMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: unknown };
}

/** The message of one page that carries `key` under `eventType`, with its metadata payload. */
export function messageWithKey(messages: unknown, eventType: string, key: string): { ts: string; payload: Record<string, unknown> } | undefined {
  if (!Array.isArray(messages)) return undefined;
  for (const m of messages as KeyedMessage[]) {
    const payload = m.metadata?.event_payload as Record<string, unknown> | undefined;
    if (m.ts && m.metadata?.event_type === eventType && payload?.key === key) return { ts: m.ts, payload };
  }
  return undefined;
}

/** The cursor of the next page, or undefined after the last. */
export function nextCursor(result: { response_metadata?: unknown }): string | undefined {
  return (result.response_metadata as { next_cursor?: string } | undefined)?.next_cursor || undefined;
}
