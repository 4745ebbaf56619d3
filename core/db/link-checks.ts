import type pg from 'pg';
import type { PoolClient } from 'pg';
import { recheckJob } from '../queues.js';
import { appendAudit } from './audit.js';
import { changeFindingStatus } from './findings.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * The re-checks of a taken-down link (migration 12, link_checks) and what each one does to the
 * finding's lifecycle: one transaction holds the check's row, the status change it causes (Complete,
 * Failed) with its audit row, or the next re-check's job in the outbox. The rule deciding which is
 * pure (afterCheck), so it is tested without a database.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export type LinkCheckOutcome = 'gone' | 'up' | 'unknown';

/** One re-check as recorded: the evidence pack (evidence/) lists these. */
export interface LinkCheck {
  id: number;
  findingId: number;
  /** Which takedown of the finding: the n-th time it went In Progress. */
  round: number;
  /** Which check of that takedown, from 1. */
  n: number;
  at: Date;
  outcome: LinkCheckOutcome;
  /** The re-check's short cause ('404', 'removed-page', 'media-matches', 'timeout', …: runners/takedown/recheck.ts). */
  why: string;
  /** One line for a person: what was seen. */
  reason: string;
  httpStatus: number | null;
  finalUrl: string | null;
  /** What the re-check saw (status, redirects, title, the removed-page signals, the media comparison). */
  evidence: Record<string, unknown>;
}

/** What one re-check observed, as the job hands it over. */
export interface ObservedCheck {
  outcome: LinkCheckOutcome;
  why: string;
  reason: string;
  httpStatus?: number;
  finalUrl?: string;
  evidence: Record<string, unknown>;
}

/** The Policy's re-check numbers that the rule reads (takedownSettings(policy).recheck). */
export interface RecheckRule {
  count: number;
  everyMinutes: number;
}

/** Unknowns in a row, per allowed up, before a link nobody can read is given up on. */
export const UNKNOWN_FACTOR = 3;

export type AfterCheck =
  | { do: 'complete'; reason: string }
  | { do: 'fail'; reason: string }
  | { do: 'again'; runAt: Date; upSoFar: number; unknownInARow: number };

/**
 * What a re-check leads to, from this takedown round's outcomes in check order (the last is the one
 * just made). Gone completes. Up counts: the `count`-th up fails. Unknown (a 503, a timeout) is not
 * counted as up; only `UNKNOWN_FACTOR × count` unknowns in a row fail, so a site that is down for
 * good does not keep a finding In Progress forever.
 */
export function afterCheck(outcomes: readonly { outcome: LinkCheckOutcome; reason: string }[], rule: RecheckRule, now: Date): AfterCheck {
  const last = outcomes[outcomes.length - 1];
  if (!last) throw new Error('afterCheck needs the check just made');
  if (last.outcome === 'gone') return { do: 'complete', reason: `link gone: ${last.reason}` };
  const ups = outcomes.filter((o) => o.outcome === 'up').length;
  if (last.outcome === 'up' && ups >= rule.count) return { do: 'fail', reason: `still up after ${ups} re-check${ups === 1 ? '' : 's'}: ${last.reason}` };
  let inARow = 0;
  for (let i = outcomes.length - 1; i >= 0 && outcomes[i]!.outcome === 'unknown'; i--) inARow++;
  const limit = UNKNOWN_FACTOR * rule.count;
  if (inARow >= limit) {
    const reasons = [...new Set(outcomes.slice(-inARow).map((o) => o.reason))].slice(0, 5);
    return { do: 'fail', reason: `no answer that tells in ${inARow} re-checks in a row (the limit is ${limit}): ${reasons.join('; ')}` };
  }
  return { do: 'again', runAt: new Date(now.getTime() + rule.everyMinutes * 60_000), upSoFar: ups, unknownInARow: inARow };
}

export type RecordedCheck =
  | { recorded: true; check: LinkCheck; next: AfterCheck }
  | { recorded: false; skipped: 'unknown-finding' | 'not-in-progress' | 'already-recorded' | 'stale-round'; takedownStatus?: string; round?: number };

interface LinkCheckRow {
  id: number; finding_id: number; round: number; n: number; at: Date; outcome: LinkCheckOutcome; why: string; reason: string;
  http_status: number | null; final_url: string | null; evidence: Record<string, unknown>;
}

const COLUMNS = 'id, finding_id, round, n, at, outcome, why, reason, http_status, final_url, evidence';

function toLinkCheck(r: LinkCheckRow): LinkCheck {
  return {
    id: Number(r.id), findingId: Number(r.finding_id), round: r.round, n: r.n, at: r.at, outcome: r.outcome, why: r.why, reason: r.reason,
    httpStatus: r.http_status, finalUrl: r.final_url, evidence: r.evidence,
  };
}

/** Which takedown of the finding is under way: the times it went In Progress (at least 1). */
export async function takedownRound(db: Pick<PoolClient, 'query'>, findingId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from audit_log where object_kind = 'Finding' and object_id = $1 and action = 'takedown-status' and details->>'to' = 'In Progress'`,
    [String(findingId)]);
  return Math.max(1, rows[0]?.n ?? 0);
}

export interface CheckToRecord {
  findingId: number;
  n: number;
  /** The round the job was written for, when it says (RecheckPayload.round). */
  round?: number;
  at: Date;
  observed: ObservedCheck;
}

/**
 * Records one re-check and does what it leads to, in one transaction under the finding's row lock:
 * only a finding still In Progress is touched (a person may have acted since the check started);
 * a check already recorded (the job run again after its commit) or left from an earlier takedown
 * round changes nothing. Complete and Failed go through changeFindingStatus with the check on the
 * audit row; a check that leads on writes the next re-check's job and a 'link-checked' audit row.
 */
export async function recordLinkCheck(pool: pg.Pool, c: CheckToRecord, rule: RecheckRule, by = 'recheck'): Promise<RecordedCheck> {
  return inTransaction(pool, async (tx) => {
    const { rows: locked } = await tx.query<{ takedown_status: string }>('select takedown_status from findings where id = $1 for update', [c.findingId]);
    const status = locked[0]?.takedown_status;
    if (status === undefined) return { recorded: false, skipped: 'unknown-finding' };
    if (status !== 'In Progress') return { recorded: false, skipped: 'not-in-progress', takedownStatus: status };
    const round = await takedownRound(tx, c.findingId);
    if (c.round !== undefined && c.round !== round) return { recorded: false, skipped: 'stale-round', round };
    const o = c.observed;
    const { rows } = await tx.query<LinkCheckRow>(
      `insert into link_checks (finding_id, round, n, at, outcome, why, reason, http_status, final_url, evidence)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (finding_id, round, n) do nothing returning ${COLUMNS}`,
      [c.findingId, round, c.n, c.at, o.outcome, o.why, o.reason, o.httpStatus ?? null, o.finalUrl ?? null, JSON.stringify(o.evidence)]);
    if (!rows[0]) return { recorded: false, skipped: 'already-recorded', round };
    const check = toLinkCheck(rows[0]);
    const { rows: history } = await tx.query<{ outcome: LinkCheckOutcome; reason: string }>(
      'select outcome, reason from link_checks where finding_id = $1 and round = $2 and n <= $3 order by n', [c.findingId, round, c.n]);
    const next = afterCheck(history, rule, c.at);
    const details = { check: c.n, round, outcome: o.outcome, why: o.why, httpStatus: o.httpStatus ?? null, finalUrl: o.finalUrl ?? null, evidence: o.evidence };
    if (next.do === 'again') {
      await writeOutbox(tx, [recheckJob(c.findingId, c.n + 1, next.runAt, round)]);
      await appendAudit(tx, by, null, [{
        action: 'link-checked', kind: 'Finding', id: String(c.findingId), reason: `re-check ${c.n}: ${o.outcome} (${o.reason})`,
        details: { ...details, nextCheck: c.n + 1, nextAt: next.runAt.toISOString(), upSoFar: next.upSoFar, unknownInARow: next.unknownInARow },
      }]);
    } else {
      await changeFindingStatus(tx, c.findingId, { takedown: next.do === 'complete' ? 'Complete' : 'Failed' }, { actor: by, reason: next.reason }, details);
    }
    return { recorded: true, check, next };
  });
}

/** Every re-check of a finding, oldest first (all its takedown rounds): for the evidence pack and people. */
export async function linkChecksOf(db: Queryable, findingId: number): Promise<LinkCheck[]> {
  const { rows } = await db.query<LinkCheckRow>(`select ${COLUMNS} from link_checks where finding_id = $1 order by round, n`, [findingId]);
  return rows.map(toLinkCheck);
}

/** Whether a re-check of this finding, round and number is recorded already (a job run twice skips its fetch). */
export async function linkCheckRecorded(db: Queryable, findingId: number, n: number, round: number): Promise<boolean> {
  const { rows } = await db.query('select 1 from link_checks where finding_id = $1 and round = $2 and n = $3', [findingId, round, n]);
  return rows.length > 0;
}
