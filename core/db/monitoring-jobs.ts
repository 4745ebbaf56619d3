import type pg from 'pg';
import { appendAudit } from './audit.js';
import { inTransaction } from './transaction.js';

/**
 * A reservation (Scheduled) becomes Monitoring, audited in the same transaction; false when the job
 * was not Scheduled (already started, stopped, or gone), so concurrent rounds start it once.
 */
export async function startMonitoring(pool: pg.Pool, jobId: string, by: { actor: string; reason: string; since: string }): Promise<boolean> {
  return inTransaction(pool, async (tx) => {
    const updated = await tx.query(
      `update monitoring_jobs set status = 'Monitoring', status_reason = $2, status_since = now(), updated_at = now() where id = $1 and status = 'Scheduled'`,
      [jobId, `running since ${by.since}`]);
    if (!updated.rowCount) return false;
    await appendAudit(tx, by.actor, null, [{ action: 'job-status', kind: 'MonitoringJob', id: jobId, reason: by.reason, details: { from: 'Scheduled', to: 'Monitoring' } }]);
    return true;
  });
}
