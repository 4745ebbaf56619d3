import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { VigilError } from '../errors.js';
import { appendAudit } from './audit.js';
import type { Change } from './findings.js';
import { inTransaction } from './transaction.js';

/**
 * Streaming sessions (migration 15): a viewer's session of a packaged title and the watermark ID its
 * A/B pattern spells, so a re-stream decoded to that ID names the session (and the viewer). Every
 * change appends its audit row in the same transaction; sessions are never deleted.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface StreamingSession {
  id: string;
  watermarkId: number;
  viewer: string;
  contentId: string | null;
  /** The package directory (or its name) the session was issued for. */
  package: string | null;
  issuedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  issuedBy: string;
}

export interface SessionStart {
  viewer: string;
  contentId?: string;
  package?: string;
  /** How long the session's tokens are valid. */
  ttlMs: number;
}

interface Row {
  id: string; watermark_id: string; viewer: string; content_id: string | null; package: string | null;
  issued_at: Date; expires_at: Date; revoked_at: Date | null; issued_by: string;
}

const toSession = (r: Row): StreamingSession => ({
  id: r.id, watermarkId: Number(r.watermark_id), viewer: r.viewer, contentId: r.content_id, package: r.package,
  issuedAt: r.issued_at, expiresAt: r.expires_at, revokedAt: r.revoked_at, issuedBy: r.issued_by,
});

/** Viewers are whatever the player's back end calls them (an account id): printable, one line, at most 200 characters. */
const VIEWER = /^[^\p{Cc}]{1,200}$/u;
export const MAX_SESSION_TTL_MS = 7 * 24 * 3_600_000;

/**
 * Starts a session: a new session id (random, 128 bits) and the next watermark ID from the sequence.
 * Refused (SESSION_INVALID): an empty or multi-line viewer, neither content nor package, a TTL
 * outside 1 minute to 7 days.
 */
export async function startSession(pool: pg.Pool, input: SessionStart, by: Change): Promise<StreamingSession> {
  const viewer = input.viewer.trim();
  if (!VIEWER.test(viewer)) throw new VigilError('SESSION_INVALID', 'the viewer must be 1-200 printable characters on one line (the player back end\'s id for the account)');
  if (!input.contentId && !input.package) throw new VigilError('SESSION_INVALID', 'a session needs the content id or the package it plays');
  if (!Number.isInteger(input.ttlMs) || input.ttlMs < 60_000 || input.ttlMs > MAX_SESSION_TTL_MS) {
    throw new VigilError('SESSION_INVALID', `the session TTL must be from 1 minute to 7 days, not ${Math.round(input.ttlMs / 1000)} s`);
  }
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<Row>(
      `insert into streaming_sessions (id, viewer, content_id, package, expires_at, issued_by)
       values ($1, $2, $3, $4, now() + $5 * interval '1 millisecond', $6) returning *`,
      [randomBytes(16).toString('base64url'), viewer, input.contentId ?? null, input.package ?? null, input.ttlMs, by.actor]);
    const session = toSession(rows[0]!);
    await appendAudit(tx, by.actor, null, [{
      action: 'session-started', kind: 'StreamingSession', id: session.id, reason: by.reason,
      details: { watermarkId: session.watermarkId, viewer, contentId: session.contentId, package: session.package, expiresAt: session.expiresAt.toISOString() },
    }]);
    return session;
  });
}

export async function sessionById(db: Queryable, id: string): Promise<StreamingSession | undefined> {
  const { rows } = await db.query<Row>('select * from streaming_sessions where id = $1', [id]);
  return rows[0] ? toSession(rows[0]) : undefined;
}

/** The session a decoded watermark ID names (detection's question). */
export async function sessionByWatermarkId(db: Queryable, watermarkId: number): Promise<StreamingSession | undefined> {
  const { rows } = await db.query<Row>('select * from streaming_sessions where watermark_id = $1', [watermarkId]);
  return rows[0] ? toSession(rows[0]) : undefined;
}
