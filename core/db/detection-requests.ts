import type pg from 'pg';
import type { DetectionStatus } from '../status.js';
import { detectionResultJob, linkDetectionJob } from '../queues.js';
import { VigilError } from '../errors.js';
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

/**
 * A request's status, in the seed service's values that a finding's detection uses too
 * (core/status.ts): Downloading from the moment it is asked for (its job is owed), then Detecting,
 * and one final state: Completed (a mark found), Failed (no mark), Error (the copy does not meet
 * the detection requirements, the download was refused, or a fault outlasted its retries),
 * Canceled. Available and Not Available belong to findings only: a request always has a link.
 */
export const DETECTION_REQUEST_STATUSES = ['Downloading', 'Detecting', 'Completed', 'Failed', 'Error', 'Canceled'] as const satisfies readonly DetectionStatus[];
export type DetectionRequestStatus = (typeof DETECTION_REQUEST_STATUSES)[number];

/** The statuses a request ends in; once there it no longer moves. */
export const FINAL_REQUEST_STATUSES = ['Completed', 'Failed', 'Error', 'Canceled'] as const satisfies readonly DetectionRequestStatus[];

export function isFinalRequestStatus(status: DetectionRequestStatus): boolean {
  return (FINAL_REQUEST_STATUSES as readonly string[]).includes(status);
}

/** Where a request came from: only a Slack request is answered in Slack. */
export type DetectionRequestVia = 'slack' | 'cli' | 'api';

export interface DetectionRequest {
  id: number;
  via: DetectionRequestVia;
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
  id: number; via: DetectionRequestVia; url: string; normalized_url: string; requested_by: string; channel: string | null; thread_ts: string | null; status: DetectionRequestStatus;
  result: Record<string, unknown> | null; reason: string; requested_at: Date; finished_at: Date | null;
}

const COLUMNS = 'id, via, url, normalized_url, requested_by, channel, thread_ts, status, result, reason, requested_at, finished_at';

function toRequest(r: Row): DetectionRequest {
  return {
    id: r.id, via: r.via, url: r.url, normalizedUrl: r.normalized_url, requestedBy: r.requested_by, channel: r.channel, threadTs: r.thread_ts, status: r.status,
    result: r.result, reason: r.reason, requestedAt: r.requested_at, finishedAt: r.finished_at,
  };
}

export interface DetectionRequestInput {
  url: string;
  requestedBy: string;
  channel?: string;
  threadTs?: string;
  /** Default 'slack'. */
  via?: DetectionRequestVia;
  /**
   * Whether its detect-queue job is written (default true). `vigil detect URL` without --queue runs
   * the request in its own process, so no worker must pick it up too.
   */
  enqueue?: boolean;
}

/** Records the request, its audit row and (unless the caller runs it itself) its detect-queue job ('url' {requestId}) in one transaction. */
export async function requestLinkDetection(pool: pg.Pool, input: DetectionRequestInput): Promise<DetectionRequest> {
  const link = checkedLink(input.url);
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<Row>(
      `insert into detection_requests (url, normalized_url, requested_by, channel, thread_ts, status, via) values ($1, $2, $3, $4, $5, 'Downloading', $6) returning ${COLUMNS}`,
      [link.url, link.normalizedUrl, input.requestedBy, input.channel ?? null, input.threadTs ?? null, input.via ?? 'slack']);
    const request = toRequest(rows[0]!);
    await appendAudit(tx, input.requestedBy, null, [{
      action: 'detection-requested', kind: 'DetectionRequest', id: String(request.id), reason: 'detection asked for a link monitoring did not find', details: { url: link.url, via: request.via },
    }]);
    if (input.enqueue !== false) await writeOutbox(tx, [linkDetectionJob(request.id)]);
    return request;
  });
}

export async function detectionRequestById(db: Queryable, id: number): Promise<DetectionRequest | undefined> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from detection_requests where id = $1`, [id]);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

/**
 * Moves a request on, audited. A final status (Completed, Failed, Error, Canceled) keeps the result
 * and, for a request made in Slack, writes the slack job that posts it; a request already final is left as it is (a retried job
 * answers once).
 */
export async function setDetectionRequestStatus(pool: pg.Pool, id: number, status: DetectionRequestStatus, by: { actor: string; reason: string }, result?: Record<string, unknown>): Promise<boolean> {
  if (!(DETECTION_REQUEST_STATUSES as readonly string[]).includes(status)) throw new VigilError('USAGE', `unknown detection request status ${JSON.stringify(status)}; one of ${DETECTION_REQUEST_STATUSES.join(', ')}`);
  const final = isFinalRequestStatus(status);
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: number; via: DetectionRequestVia }>(
      `update detection_requests set status = $2, reason = $3, result = coalesce($4::jsonb, result), finished_at = case when $5 then now() else finished_at end
       where id = $1 and status <> all($6::text[]) returning id, via`,
      [id, status, by.reason, result === undefined ? null : JSON.stringify(result), final, FINAL_REQUEST_STATUSES]);
    if (rows.length === 0) return false;
    await appendAudit(tx, by.actor, null, [{ action: 'detection-request-status', kind: 'DetectionRequest', id: String(id), reason: by.reason, details: { to: status, ...(result ? { result } : {}) } }]);
    if (final && rows[0]!.via === 'slack') await writeOutbox(tx, [detectionResultJob(id)]);
    return true;
  });
}
