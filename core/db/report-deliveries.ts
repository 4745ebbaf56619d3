import type pg from 'pg';
import { appendAudit } from './audit.js';
import { inTransaction } from './transaction.js';

/** Reports sent (migration 20): recorded with their audit row; the schedule sends each (kind, subject, period) once. */

export interface ReportDelivery {
  kind: 'usage' | 'creator';
  /** 'all' for usage; a creator's name in lower case. */
  subject: string;
  period: string;
  channel: 'slack' | 'smtp';
  /** The Slack channel or the e-mail address. */
  target: string;
  messageId: string | null;
  trigger: 'schedule' | 'cli';
}

export async function scheduledReportSent(db: Pick<pg.Pool, 'query'>, kind: ReportDelivery['kind'], subject: string, period: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from report_deliveries where kind = $1 and subject = $2 and period = $3 and trigger = $4', [kind, subject, period, 'schedule']);
  return rows.length > 0;
}

/** Records a report as sent, audited in the same transaction; false when the schedule had already recorded it. */
export async function recordReportDelivery(pool: pg.Pool, d: ReportDelivery, actor: string): Promise<boolean> {
  return inTransaction(pool, async (tx) => {
    const { rowCount } = await tx.query(
      `insert into report_deliveries (kind, subject, period, channel, target, message_id, trigger) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (kind, subject, period) where trigger = 'schedule' do nothing`,
      [d.kind, d.subject, d.period, d.channel, d.target, d.messageId, d.trigger]);
    if (!rowCount) return false;
    await appendAudit(tx, actor, null, [{
      action: 'report-sent', kind: 'Report', id: `${d.kind}:${d.subject}:${d.period}`, reason: `${d.kind} report ${d.period} sent by ${d.channel} to ${d.target}`,
      details: { channel: d.channel, target: d.target, messageId: d.messageId, trigger: d.trigger },
    }]);
    return true;
  });
}
