import type pg from 'pg';
import type { DetectionStatus, TakedownStatus } from '../status.js';

/**
 * What `vigil status` and `/vigil status` show: the monitoring jobs, the recipients, the last
 * reconciliations, the findings still open and the revocation pushes CDN mirrors still owe, read in one place so both faces say the same.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface MonitoringJobRow {
  id: string;
  content_id: string;
  tier: string;
  status: string;
  status_reason: string;
  start_date: string;
  stop_date: string | null;
}

export interface ReconciliationRow {
  id: number;
  commit: string | null;
  result: string;
  changes: number;
  finished_at: Date;
}

export interface StatusSummary {
  jobs: MonitoringJobRow[];
  recipients: { active: number; retired: number };
  reconciliations: ReconciliationRow[];
  /** Findings not yet closed (takedown neither Complete nor Ignore), counted by each status. */
  openFindings: { total: number; byTakedown: Partial<Record<TakedownStatus, number>>; byDetection: Partial<Record<DetectionStatus, number>> };
  /** Revocation pushes each CDN mirror still owes (migration 18, edge/revocation-pushes.ts), by mirror; none owed: empty. */
  revocationPushes: OwedPushes[];
}

export interface OwedPushes {
  target: string;
  pending: number;
  /** When the oldest owed push was made, and when the next try is due. */
  oldest: Date;
  nextAttemptAt: Date;
  lastError: string | null;
}

/** Takedown statuses that close a finding: nothing more is owed on it. */
const CLOSED: readonly TakedownStatus[] = ['Complete', 'Ignore'];

export async function statusSummary(db: Queryable, options: { reconciliations?: number } = {}): Promise<StatusSummary> {
  const jobs = await db.query<MonitoringJobRow>('select id, content_id, tier, status, status_reason, start_date, stop_date from monitoring_jobs order by id');
  const recipients = await db.query<{ active: number; retired: number }>(
    'select count(*) filter (where retired_at is null)::int as active, count(*) filter (where retired_at is not null)::int as retired from watermark_allocations');
  const runs = await db.query<ReconciliationRow>('select id, commit, result, changes, finished_at from reconciliations order by id desc limit $1', [options.reconciliations ?? 5]);
  const open = await db.query<{ takedown_status: TakedownStatus; detection_status: DetectionStatus; n: number }>(
    `select takedown_status, detection_status, count(*)::int as n from findings where takedown_status <> all($1::text[]) group by 1, 2`, [CLOSED]);
  const pushes = await db.query<{ target: string; pending: number; oldest: Date; next_attempt_at: Date; last_error: string | null }>(
    `select target, count(*)::int as pending, min(created_at) as oldest, min(next_attempt_at) as next_attempt_at,
            (array_agg(last_error order by id) filter (where last_error is not null))[1] as last_error
     from revocation_pushes where state = 'pending' group by target order by target`);
  const byTakedown: Partial<Record<TakedownStatus, number>> = {};
  const byDetection: Partial<Record<DetectionStatus, number>> = {};
  let total = 0;
  for (const r of open.rows) {
    byTakedown[r.takedown_status] = (byTakedown[r.takedown_status] ?? 0) + r.n;
    byDetection[r.detection_status] = (byDetection[r.detection_status] ?? 0) + r.n;
    total += r.n;
  }
  return {
    jobs: jobs.rows,
    recipients: recipients.rows[0] ?? { active: 0, retired: 0 },
    reconciliations: runs.rows,
    openFindings: { total, byTakedown, byDetection },
    revocationPushes: pushes.rows.map((r) => ({ target: r.target, pending: r.pending, oldest: r.oldest, nextAttemptAt: r.next_attempt_at, lastError: r.last_error })),
  };
}
