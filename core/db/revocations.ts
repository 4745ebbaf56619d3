import type pg from 'pg';
import type { RevocationCall } from '../revocation.js';
import { appendAudit } from './audit.js';
import type { Change } from './findings.js';
import type { StreamingSession } from './sessions.js';
import { inTransaction } from './transaction.js';

/**
 * The records a revocation leaves (migration 15's streaming_sessions, migration 18's
 * revocation_pushes): which sessions it revoked or unrevoked, each audited once, and the pushes each
 * CDN mirror is owed, all in the transaction of the call.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface RevokedSessionRecord {
  id: string;
  /** Absent: not a session Vigil issued (revoked at the edge only). */
  session?: Pick<StreamingSession, 'viewer' | 'watermarkId' | 'revokedAt'>;
  /** Whether this call changed the session's record (false: it was already so). */
  changed: boolean;
}

/** A remove is owed to a mirror for a week at most: past that, a person looks at it. */
const REMOVE_MOOT_SECONDS = 7 * 86_400;

export async function recordRevocation(pool: pg.Pool, call: RevocationCall, mirrors: readonly string[], by: Change): Promise<{ sessions: RevokedSessionRecord[]; pushIds: number[] }> {
  const ids = call.op === 'add' ? call.items.map((i) => i.id) : call.ids;
  return inTransaction(pool, async (tx) => {
    // Revoking keeps the first revocation time; unrevoking clears it. Only rows that change are audited.
    const changed = await tx.query<{ id: string; viewer: string; watermark_id: string; revoked_at: Date | null }>(call.op === 'add'
      ? 'update streaming_sessions set revoked_at = now() where id = any($1::text[]) and revoked_at is null returning id, viewer, watermark_id, revoked_at'
      : 'update streaming_sessions set revoked_at = null where id = any($1::text[]) and revoked_at is not null returning id, viewer, watermark_id, revoked_at', [ids]);
    const known = await tx.query<{ id: string; viewer: string; watermark_id: string; revoked_at: Date | null }>(
      'select id, viewer, watermark_id, revoked_at from streaming_sessions where id = any($1::text[])', [ids]);
    const changedIds = new Set(changed.rows.map((r) => r.id));
    const byId = new Map(known.rows.map((r) => [r.id, r]));
    const durationOf = new Map(call.op === 'add' ? call.items.map((i) => [i.id, i.durationSeconds]) : []);
    await appendAudit(tx, by.actor, null, changed.rows.map((r) => ({
      action: call.op === 'add' ? 'session-revoked' : 'session-unrevoked', kind: 'StreamingSession', id: r.id, reason: by.reason,
      details: { watermarkId: Number(r.watermark_id), viewer: r.viewer, listId: call.listId, ...(call.op === 'add' ? { durationSeconds: durationOf.get(r.id) } : {}) },
    })));
    const sessions = ids.map((id): RevokedSessionRecord => {
      const row = byId.get(id);
      return row ? { id, session: { viewer: row.viewer, watermarkId: Number(row.watermark_id), revokedAt: row.revoked_at }, changed: changedIds.has(id) } : { id, changed: false };
    });
    const mootSeconds = call.op === 'add' ? Math.max(...call.items.map((i) => i.durationSeconds)) : REMOVE_MOOT_SECONDS;
    const body = call.op === 'add' ? call.items.map((i) => ({ id: i.id, durationSeconds: i.durationSeconds })) : call.ids;
    const pushIds: number[] = [];
    for (const target of mirrors) {
      const { rows } = await tx.query<{ id: string }>(
        `insert into revocation_pushes (target, list_id, op, body, moot_after, requested_by) values ($1, $2, $3, $4, now() + make_interval(secs => $5), $6) returning id`,
        [target, call.listId, call.op, JSON.stringify(body), mootSeconds, by.actor]);
      pushIds.push(Number(rows[0]!.id));
    }
    return { sessions, pushIds };
  });
}

export interface RevocationPush {
  id: number;
  target: string;
  listId: number;
  op: 'add' | 'remove';
  body: unknown;
  state: 'pending' | 'done' | 'moot';
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
  mootAfter: Date;
  doneAt: Date | null;
}

interface PushRow {
  id: string; target: string; list_id: number; op: 'add' | 'remove'; body: unknown; state: RevocationPush['state']; attempts: number;
  last_error: string | null; created_at: Date; next_attempt_at: Date; moot_after: Date; done_at: Date | null;
}

const toPush = (r: PushRow): RevocationPush => ({
  id: Number(r.id), target: r.target, listId: r.list_id, op: r.op, body: r.body, state: r.state, attempts: r.attempts,
  lastError: r.last_error, createdAt: r.created_at, nextAttemptAt: r.next_attempt_at, mootAfter: r.moot_after, doneAt: r.done_at,
});

/** Pending pushes, oldest first (a target's calls must reach it in order). */
export async function pendingPushes(db: Queryable, target?: string): Promise<RevocationPush[]> {
  const { rows } = await db.query<PushRow>(`select * from revocation_pushes where state = 'pending' ${target === undefined ? '' : 'and target = $1'} order by id`, target === undefined ? [] : [target]);
  return rows.map(toPush);
}

export async function pushById(db: Queryable, id: number): Promise<RevocationPush | undefined> {
  const { rows } = await db.query<PushRow>('select * from revocation_pushes where id = $1', [id]);
  return rows[0] ? toPush(rows[0]) : undefined;
}

/** A target's pending pushes are delivered by one process at a time: this lock, held for the transaction. */
export async function lockPushTarget(tx: Pick<pg.PoolClient, 'query'>, target: string): Promise<boolean> {
  const { rows } = await tx.query<{ locked: boolean }>(`select pg_try_advisory_xact_lock(hashtext('vigil:revocation-push:' || $1)) as locked`, [target]);
  return rows[0]!.locked;
}

export async function markPushDone(tx: Pick<pg.PoolClient, 'query'>, id: number): Promise<void> {
  await tx.query(`update revocation_pushes set state = 'done', attempts = attempts + 1, done_at = now(), last_error = null where id = $1`, [id]);
}

export async function markPushMoot(tx: Pick<pg.PoolClient, 'query'>, id: number): Promise<void> {
  await tx.query(`update revocation_pushes set state = 'moot', done_at = now() where id = $1`, [id]);
}

/** A failed try: the next one waits base × 2^(tries so far), at most an hour. */
export async function markPushFailed(tx: Pick<pg.PoolClient, 'query'>, id: number, error: string, retryBaseMs: number): Promise<Date> {
  const { rows } = await tx.query<{ next_attempt_at: Date }>(
    `update revocation_pushes set attempts = attempts + 1, last_error = $2,
       next_attempt_at = now() + least(interval '1 hour', make_interval(secs => $3::float8 / 1000 * power(2, attempts)))
     where id = $1 returning next_attempt_at`, [id, error.slice(0, 2000), retryBaseMs]);
  return rows[0]!.next_attempt_at;
}

/** Who put a session on record as revoked, and when (its latest session-revoked audit row). */
export async function lastSessionRevocation(db: Queryable, sessionId: string): Promise<{ actor: string; at: Date } | undefined> {
  const { rows } = await db.query<{ actor: string; at: Date }>(
    `select actor, at from audit_log where object_kind = 'StreamingSession' and object_id = $1 and action = 'session-revoked' order by id desc limit 1`, [sessionId]);
  return rows[0];
}

/** A Revoke refused to someone who is no revoke approver: audited once per request (a retried job adds nothing). */
export async function auditRevokeRefusal(db: Queryable, r: { actor: string; sessionId: string; reason: string; request: string }): Promise<void> {
  await db.query(
    `insert into audit_log (actor, action, object_kind, object_id, reason, details)
     select $1, 'slack-action-refused', 'StreamingSession', $2, $3, jsonb_build_object('action', 'revoke', 'request', $4::text)
     where not exists (select 1 from audit_log where action = 'slack-action-refused' and object_kind = 'StreamingSession' and object_id = $2 and details->>'request' = $4::text)`,
    [r.actor, r.sessionId, r.reason, r.request]);
}
