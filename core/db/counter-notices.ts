import type pg from 'pg';
import { VigilError } from '../errors.js';
import { appendAudit } from './audit.js';
import type { Change } from './findings.js';
import { inTransaction } from './transaction.js';
import { markCardDirty } from './chat-cards.js';

/**
 * Counter-notices (17 U.S.C. 512(g)(3)) received for links Vigil had taken down (migration 12).
 * The restore window is computed by the caller (runners/takedown/business-days.ts restoreWindow)
 * and kept with the record, so what people were told stays what the record says.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface CounterNotice {
  id: number;
  findingId: number;
  /** The day it was received, yyyy-MM-dd. */
  receivedOn: string;
  from: string | null;
  note: string | null;
  /** The material may be restored from this day (the 10th business day after receipt)… */
  restoreEarliest: string;
  /** …and must be by this one (the 14th), unless the owner filed an action first. */
  restoreLatest: string;
  recordedAt: Date;
  recordedBy: string;
}

export interface CounterNoticeInput {
  findingId: number;
  receivedOn: string;
  from?: string;
  note?: string;
  window: { earliest: string; latest: string };
  /** Today (yyyy-MM-dd): a counter-notice cannot be received later than that. */
  today: string;
}

interface Row {
  id: number; finding_id: number; received_on: string; from_name: string | null; note: string | null;
  restore_earliest: string; restore_latest: string; recorded_at: Date; recorded_by: string;
}

// Dates read back as yyyy-MM-dd text, whatever the session's time zone.
const COLUMNS = `id, finding_id, to_char(received_on, 'YYYY-MM-DD') as received_on, from_name, note,
  to_char(restore_earliest, 'YYYY-MM-DD') as restore_earliest, to_char(restore_latest, 'YYYY-MM-DD') as restore_latest, recorded_at, recorded_by`;

function toCounterNotice(r: Row): CounterNotice {
  return {
    id: Number(r.id), findingId: Number(r.finding_id), receivedOn: r.received_on, from: r.from_name, note: r.note,
    restoreEarliest: r.restore_earliest, restoreLatest: r.restore_latest, recordedAt: r.recorded_at, recordedBy: r.recorded_by,
  };
}

/** When the finding's notice first went (it first moved to In Progress), or undefined if it never did. */
async function takenDownOn(db: Pick<pg.PoolClient, 'query'>, findingId: number): Promise<string | undefined> {
  const { rows } = await db.query<{ day: string | null }>(
    `select to_char(min(at) at time zone 'UTC', 'YYYY-MM-DD') as day from audit_log
     where object_kind = 'Finding' and object_id = $1 and action = 'takedown-status' and details->>'to' = 'In Progress'`, [String(findingId)]);
  return rows[0]?.day ?? undefined;
}

/**
 * Records a counter-notice for a finding whose notice went out, audited in the same transaction.
 * Refused: an unknown finding (FINDING_UNKNOWN), one never taken down (COUNTER_NOTICE_NOT_TAKEN_DOWN:
 * there is no takedown to counter), a receipt day after today or before the notice went
 * (COUNTER_NOTICE_DATE_INVALID). The same counter-notice recorded again (same finding and day)
 * is the one already there.
 */
export async function recordCounterNotice(pool: pg.Pool, input: CounterNoticeInput, by: Change): Promise<{ counterNotice: CounterNotice; created: boolean }> {
  return inTransaction(pool, async (tx) => {
    const { rows: found } = await tx.query<{ takedown_status: string; url: string }>('select takedown_status, url from findings where id = $1 for update', [input.findingId]);
    const finding = found[0];
    if (!finding) throw new VigilError('FINDING_UNKNOWN', `no finding has id ${input.findingId}`);
    const since = await takenDownOn(tx, input.findingId);
    if (since === undefined && finding.takedown_status !== 'In Progress' && finding.takedown_status !== 'Complete') {
      throw new VigilError('COUNTER_NOTICE_NOT_TAKEN_DOWN', `finding #${input.findingId} (${finding.url}) was never taken down: its takedown is ${finding.takedown_status} and no notice for it went out, so there is nothing a counter-notice could answer`);
    }
    if (input.receivedOn > input.today) {
      throw new VigilError('COUNTER_NOTICE_DATE_INVALID', `--received ${input.receivedOn} is after today (${input.today}): give the day the counter-notice arrived`);
    }
    if (since !== undefined && input.receivedOn < since) {
      throw new VigilError('COUNTER_NOTICE_DATE_INVALID', `--received ${input.receivedOn} is before the takedown notice for finding #${input.findingId} went out (${since}): a counter-notice answers a notice, so check the day it arrived`);
    }
    const { rows } = await tx.query<Row>(
      `insert into counter_notices (finding_id, received_on, from_name, note, restore_earliest, restore_latest, recorded_by)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (finding_id, received_on) do nothing returning ${COLUMNS}`,
      [input.findingId, input.receivedOn, input.from ?? null, input.note ?? null, input.window.earliest, input.window.latest, by.actor]);
    if (!rows[0]) {
      const { rows: existing } = await tx.query<Row>(`select ${COLUMNS} from counter_notices where finding_id = $1 and received_on = $2`, [input.findingId, input.receivedOn]);
      return { counterNotice: toCounterNotice(existing[0]!), created: false };
    }
    const counterNotice = toCounterNotice(rows[0]);
    await appendAudit(tx, by.actor, null, [{
      action: 'counter-notice-recorded', kind: 'Finding', id: String(input.findingId), reason: by.reason,
      details: { counterNotice: counterNotice.id, receivedOn: input.receivedOn, from: input.from ?? null, restoreEarliest: input.window.earliest, restoreLatest: input.window.latest },
    }]);
    // The card shows the restore window: edit it now, not at the finding's next change.
    await markCardDirty(tx, input.findingId);
    return { counterNotice, created: true };
  });
}

/** The latest counter-notice of a finding, if any (the Slack card and the evidence pack show it). */
export async function counterNoticeOf(db: Queryable, findingId: number): Promise<CounterNotice | undefined> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from counter_notices where finding_id = $1 order by received_on desc, id desc limit 1`, [findingId]);
  return rows[0] ? toCounterNotice(rows[0]) : undefined;
}

/** Counter-notices whose restore window has not closed on `today` (yyyy-MM-dd), soonest first, with their finding's URL. */
export async function openCounterNotices(db: Queryable, today: string): Promise<(CounterNotice & { url: string })[]> {
  const { rows } = await db.query<Row & { url: string }>(
    `select c.*, f.url from (select ${COLUMNS} from counter_notices where restore_latest >= $1::date) c
     join findings f on f.id = c.finding_id order by c.restore_earliest, c.id`, [today]);
  return rows.map((r) => ({ ...toCounterNotice(r), url: r.url }));
}
