import type pg from 'pg';

/**
 * The Revoke card of a traced session in Slack (migration 21): one per session and channel. A try
 * to post it first takes the row ('sending'); Slack's answer makes it 'posted' with the message's
 * ts. A row still 'sending' when a try begins means an earlier try may have posted the card and
 * died before it said so: that try looks for the card in Slack by the key in its metadata before
 * posting. Nothing here talks to Slack. Delivery bookkeeping, not audited (the trace it follows is:
 * 'session-revocation-offered').
 */

type Queryable = Pick<pg.Pool, 'query'>;

/** The metadata a session card carries, by which a later try finds it in the channel's history. */
export const SESSION_CARD_EVENT_TYPE = 'vigil_session_card';
export const sessionCardKey = (sessionId: string): string => `session-card:${sessionId}`;

export interface SessionCardRecord {
  sessionId: string;
  channel: string;
  state: 'sending' | 'posted';
  ts: string | null;
  channelId: string | null;
  /** Tries so far, this one included; above 1 while 'sending', an earlier try may have posted. */
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

interface Row {
  session_id: string; channel: string; state: SessionCardRecord['state']; ts: string | null; channel_id: string | null;
  attempts: number; last_error: string | null; created_at: Date;
}

const toRecord = (r: Row): SessionCardRecord => ({
  sessionId: r.session_id, channel: r.channel, state: r.state, ts: r.ts, channelId: r.channel_id, attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at,
});

/**
 * Before chat.postMessage: makes the row 'sending', or counts this try on the one there. A row
 * already 'posted' is returned as it is: the card is in Slack.
 */
export async function beginSessionCard(db: Queryable, sessionId: string, channel: string): Promise<SessionCardRecord> {
  const { rows } = await db.query<Row>(
    `insert into session_cards (session_id, channel) values ($1, $2)
     on conflict (session_id, channel) do update
       set attempts = session_cards.attempts + (session_cards.state = 'sending')::int,
           updated_at = case when session_cards.state = 'sending' then now() else session_cards.updated_at end
     returning *`, [sessionId, channel]);
  return toRecord(rows[0]!);
}

/** Slack has the card (posted now, or found where an earlier try posted it). */
export async function markSessionCardPosted(db: Queryable, sessionId: string, channel: string, posted: { ts: string; channelId?: string }): Promise<void> {
  await db.query(
    `update session_cards set state = 'posted', ts = $3, channel_id = coalesce($4, channel_id), last_error = null, posted_at = now(), updated_at = now()
     where session_id = $1 and channel = $2`, [sessionId, channel, posted.ts, posted.channelId ?? null]);
}

/** A try that failed: the row stays 'sending' (the next try looks before it posts), saying why. */
export async function noteSessionCardError(db: Queryable, sessionId: string, channel: string, error: string): Promise<void> {
  await db.query(`update session_cards set last_error = $3, updated_at = now() where session_id = $1 and channel = $2`, [sessionId, channel, error.slice(0, 1000)]);
}

/** The id Slack answered a session card in this channel (#name) with, for reading its history. */
export async function sessionCardChannelId(db: Queryable, channel: string): Promise<string | undefined> {
  const { rows } = await db.query<{ channel_id: string }>(`select channel_id from session_cards where channel = $1 and channel_id is not null limit 1`, [channel]);
  return rows[0]?.channel_id;
}

export async function sessionCardOf(db: Queryable, sessionId: string, channel: string): Promise<SessionCardRecord | undefined> {
  const { rows } = await db.query<Row>('select * from session_cards where session_id = $1 and channel = $2', [sessionId, channel]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/**
 * One try at a time per card, across processes (a job BullMQ thought stalled can run twice at
 * once): a session-level advisory lock on a client of its own, so the 'sending' row is committed
 * before the post while the lock is held; a crash drops the connection and with it the lock.
 * Undefined when another try holds it.
 */
export async function lockSessionCard(pool: pg.Pool, sessionId: string, channel: string): Promise<(() => Promise<void>) | undefined> {
  const client = await pool.connect();
  const key = `vigil:session-card:${sessionId}:${channel}`;
  try {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [key]);
    if (!rows[0]!.locked) {
      client.release();
      return undefined;
    }
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return async () => {
    try {
      await client.query('select pg_advisory_unlock(hashtext($1))', [key]);
      client.release();
    } catch (error) {
      // A client that cannot unlock is dropped, and its lock with it.
      client.release(error as Error);
    }
  };
}
