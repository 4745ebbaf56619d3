import type pg from 'pg';
import { detectionResultJob, linkDetectionJob } from '../queues.js';
import { checkedLink } from '../url.js';
import { appendAudit } from './audit.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * Detection requests: a person asks for watermark detection on a link monitoring did not find.
 * The request is written with its detect job (outbox); the worker records each step, and the
 * result is written with the slack job that tells the person (outbox again), so neither the
 * request nor its answer can be lost between the database and the queue.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export const DETECTION_REQUEST_STATUSES = ['requested', 'downloading', 'detecting', 'completed', 'failed'] as const;
export type DetectionRequestStatus = (typeof DETECTION_REQUEST_STATUSES)[number];

export interface DetectionRequest {
  id: number;
  url: string;
  normalizedUrl: string;
  requestedBy: string;
  channel: string | null;
  threadTs: string | null;
  status: DetectionRequestStatus;
  result: Record<string, unknown> | null;
  reason: string;
  requestedAt: Date;
  finishedAt: Date | null;
}

interface Row {
  id: number; url: string; normalized_url: string; requested_by: string; channel: string | null; thread_ts: string | null; status: DetectionRequestStatus;
  result: Record<string, unknown> | null; reason: string; requested_at: Date; finished_at: Date | null;
}

const COLUMNS = 'id, url, normalized_url, requested_by, channel, thread_ts, status, result, reason, requested_at, finished_at';

function toRequest(r: Row): DetectionRequest {
  return {
    id: r.id, url: r.url, normalizedUrl: r.normalized_url, requestedBy: r.requested_by, channel: r.channel, threadTs: r.thread_ts, status: r.status,
    result: r.result, reason: r.reason, requestedAt: r.requested_at, finishedAt: r.finished_at,
  };
}

export interface DetectionRequestInput {
  url: string;
  requestedBy: string;
  channel?: string;
  threadTs?: string;
}

/** Records the request, its audit row and its detect-queue job ('url' {requestId}) in one transaction. */
export async function requestLinkDetection(pool: pg.Pool, input: DetectionRequestInput): Promise<DetectionRequest> {
  const link = checkedLink(input.url);
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<Row>(
      `insert into detection_requests (url, normalized_url, requested_by, channel, thread_ts) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
      [link.url, link.normalizedUrl, input.requestedBy, input.channel ?? null, input.threadTs ?? null]);
    const request = toRequest(rows[0]!);
    await appendAudit(tx, input.requestedBy, null, [{
      action: 'detection-requested', kind: 'DetectionRequest', id: String(request.id), reason: 'detection asked for a link monitoring did not find', details: { url: link.url },
    }]);
    await writeOutbox(tx, [linkDetectionJob(request.id)]);
    return request;
  });
}

export async function detectionRequestById(db: Queryable, id: number): Promise<DetectionRequest | undefined> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from detection_requests where id = $1`, [id]);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

/**
 * Moves a request on, audited. A final status (completed, failed) keeps the result and writes the
 * slack job that posts it; a request already final is left as it is (a retried job answers once).
 */
export async function setDetectionRequestStatus(pool: pg.Pool, id: number, status: DetectionRequestStatus, by: { actor: string; reason: string }, result?: Record<string, unknown>): Promise<boolean> {
  const final = status === 'completed' || status === 'failed';
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `update detection_requests set status = $2, reason = $3, result = coalesce($4::jsonb, result), finished_at = case when $5 then now() else finished_at end
       where id = $1 and status not in ('completed', 'failed') returning id`,
      [id, status, by.reason, result === undefined ? null : JSON.stringify(result), final]);
    if (rows.length === 0) return false;
    await appendAudit(tx, by.actor, null, [{ action: 'detection-request-status', kind: 'DetectionRequest', id: String(id), reason: by.reason, details: { to: status, ...(result ? { result } : {}) } }]);
    if (final) await writeOutbox(tx, [detectionResultJob(id)]);
    return true;
  });
}
