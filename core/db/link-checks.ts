import type pg from 'pg';
import type { PoolClient } from 'pg';
import { recheckJob } from '../queues.js';
import type { TakedownStatus } from '../status.js';
import { appendAudit, type AuditEntry } from './audit.js';
import { changeTakedownStatusesEach, type TakedownChange } from './findings.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * The re-checks of taken-down links (migration 12, link_checks) and what each one does to the
 * finding's lifecycle. A sent notice's links are re-checked together (one job per notice and check:
 * runners/takedown/recheck-job.ts), so they are read and recorded together: one transaction holds
 * the check rows, the status changes they cause (Complete, Failed) with their audit rows, and the
 * notice's next re-check in the outbox, in statements whose number does not grow with the links.
 * The rules deciding what a check leads to (afterCheck) and whether a link is owed one (linkDue)
 * are pure, so they are tested without a database.
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

/** Where one link of a sent notice stands for the notice's n-th re-check. */
export interface NoticeLink {
  findingId: number;
  url: string;
  contentId: string;
  evidence: Record<string, unknown>;
  takedownStatus: TakedownStatus;
  /** The takedown round the notice started for the finding (the n-th time it went In Progress); null when the notice did not move it. */
  round: number | null;
  /** Whether the notice's takedown is the finding's latest (no later notice put it In Progress again). */
  current: boolean;
  /** The round's checks before this one, in check order: what afterCheck counts. */
  earlier: { n: number; outcome: LinkCheckOutcome; reason: string }[];
  /** The round's highest check recorded (0: none yet). */
  lastCheck: number;
}

export type LinkSkip = 'not-in-progress' | 'not-moved-by-notice' | 'later-takedown' | 'already-recorded';

/** Whether a notice's link is owed its `check`-th re-check, or why not; pure. */
export function linkDue(link: NoticeLink, check: number): { due: true } | { due: false; skip: LinkSkip } {
  if (link.takedownStatus !== 'In Progress') return { due: false, skip: 'not-in-progress' };
  if (link.round === null) return { due: false, skip: 'not-moved-by-notice' };
  if (!link.current) return { due: false, skip: 'later-takedown' };
  if (link.lastCheck >= check) return { due: false, skip: 'already-recorded' };
  return { due: true };
}

interface NoticeLinkRow {
  id: string; url: string; content_id: string; evidence: Record<string, unknown>; takedown_status: TakedownStatus;
  round: number | null; current: boolean | null; earlier: NoticeLink['earlier']; last_check: number;
}

/**
 * The links of a notice as its `check`-th re-check sees them, in ONE statement for the whole notice:
 * each finding's status, the round the notice started (its In Progress audit rows, found through the
 * audit_log_object index: the row naming this notice and its place among them), whether a later
 * takedown followed, and the round's checks so far. With `lock`, the findings are locked (id order)
 * for the caller's transaction, so the record is decided on what cannot change under it.
 */
async function noticeLinks(db: Pick<PoolClient, 'query'>, noticeId: number, check: number, only?: { ids: readonly number[]; lock: true }): Promise<NoticeLink[]> {
  const { rows } = await db.query<NoticeLinkRow>(
    `with nf as (select finding_id from notice_findings where notice_id = $1::bigint and ($3::bigint[] is null or finding_id = any($3::bigint[]))),
     l as materialized (
       select f.id, f.url, f.content_id, f.evidence, f.takedown_status from findings f where f.id in (select finding_id from nf) order by f.id ${only ? 'for update' : ''})
     select l.id, l.url, l.content_id, l.evidence, l.takedown_status, arr.round, arr.current,
       coalesce(chk.earlier, '[]'::jsonb) as earlier, coalesce(chk.last, 0)::int as last_check
     from l
     cross join lateral (
       select array_position(array_agg(a.id order by a.id), min(a.id) filter (where a.details->>'notice' = $1::bigint::text)) as round,
         min(a.id) filter (where a.details->>'notice' = $1::bigint::text) = max(a.id) as current
       from audit_log a
       where a.object_kind = 'Finding' and a.object_id = l.id::text and a.action = 'takedown-status' and a.details->>'to' = 'In Progress') arr
     left join lateral (
       select jsonb_agg(jsonb_build_object('n', c.n, 'outcome', c.outcome, 'reason', c.reason) order by c.n) filter (where c.n < $2) as earlier, max(c.n) as last
       from link_checks c where c.finding_id = l.id and c.round = arr.round) chk on true
     order by l.id`,
    [noticeId, check, only ? [...only.ids] : null]);
  return rows.map((r) => ({
    findingId: Number(r.id), url: r.url, contentId: r.content_id, evidence: r.evidence, takedownStatus: r.takedown_status,
    round: r.round, current: r.current === true, earlier: r.earlier, lastCheck: r.last_check,
  }));
}

/** The notice's links owed its `check`-th re-check, and the others with why they are not (one statement). */
export async function noticeLinksToCheck(db: Pick<pg.Pool, 'query'>, noticeId: number, check: number): Promise<{ due: NoticeLink[]; skipped: { link: NoticeLink; skip: LinkSkip }[] }> {
  const due: NoticeLink[] = [];
  const skipped: { link: NoticeLink; skip: LinkSkip }[] = [];
  for (const link of await noticeLinks(db, noticeId, check)) {
    const d = linkDue(link, check);
    if (d.due) due.push(link);
    else skipped.push({ link, skip: d.skip });
  }
  return { due, skipped };
}

/** One link's check, as the job hands it over to be recorded. */
export interface CheckToRecord {
  findingId: number;
  at: Date;
  observed: ObservedCheck;
}

export interface RecordedChecks {
  recorded: { findingId: number; round: number; check: LinkCheck; next: AfterCheck }[];
  /** Checks not recorded: a person acted on the finding while its link was fetched, or another run recorded it first. */
  skipped: { findingId: number; skip: LinkSkip | 'not-listed'; takedownStatus?: TakedownStatus }[];
  /** When the notice's next re-check is owed, if any link of this one leads on. */
  nextAt?: Date;
}

/**
 * Records the `check`-th re-check of a notice's links and does what each leads to, in one
 * transaction under the findings' row locks and in a fixed number of statements whatever the number
 * of links: the links' state read and locked (one statement), every check row (one INSERT … SELECT
 * FROM unnest), the findings that end Complete or Failed moved with their audit rows
 * (changeTakedownStatusesEach, one statement), a 'link-checked' audit row for each that leads on
 * (one INSERT), and the notice's next re-check job, once, in the outbox. A link no longer owed this
 * check (a person acted meanwhile, a later takedown, a run that recorded it first: the job retried
 * after its commit or a stalled copy) is skipped, so a check is never counted twice.
 */
export async function recordLinkChecks(pool: pg.Pool, c: { noticeId: number; check: number; at: Date; checks: readonly CheckToRecord[] }, rule: RecheckRule, by = 'recheck'): Promise<RecordedChecks> {
  if (c.checks.length === 0) return { recorded: [], skipped: [] };
  return inTransaction(pool, async (tx) => {
    const ids = [...new Set(c.checks.map((x) => x.findingId))].sort((a, b) => a - b);
    const links = new Map((await noticeLinks(tx, c.noticeId, c.check, { ids, lock: true })).map((l) => [l.findingId, l]));
    const skipped: RecordedChecks['skipped'] = [];
    const toInsert: { x: CheckToRecord; link: NoticeLink & { round: number } }[] = [];
    for (const x of [...c.checks].sort((a, b) => a.findingId - b.findingId)) {
      const link = links.get(x.findingId);
      if (!link) { skipped.push({ findingId: x.findingId, skip: 'not-listed' }); continue; }
      const d = linkDue(link, c.check);
      if (!d.due || link.round === null) { skipped.push({ findingId: x.findingId, skip: d.due ? 'not-moved-by-notice' : d.skip, takedownStatus: link.takedownStatus }); continue; }
      links.delete(x.findingId);
      toInsert.push({ x, link: { ...link, round: link.round } });
    }
    if (toInsert.length === 0) return { recorded: [], skipped };
    const col = <T>(f: (i: (typeof toInsert)[number]) => T): T[] => toInsert.map(f);
    const { rows } = await tx.query<LinkCheckRow>(
      `insert into link_checks (finding_id, round, n, at, outcome, why, reason, http_status, final_url, evidence)
       select u.finding_id, u.round, $3, u.at, u.outcome, u.why, u.reason, u.http_status, u.final_url, u.evidence
       from unnest($1::bigint[], $2::int[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::jsonb[])
         as u(finding_id, round, at, outcome, why, reason, http_status, final_url, evidence)
       order by u.finding_id
       on conflict (finding_id, round, n) do nothing returning ${COLUMNS}`,
      [col((i) => i.x.findingId), col((i) => i.link.round), c.check, col((i) => i.x.at), col((i) => i.x.observed.outcome), col((i) => i.x.observed.why),
        col((i) => i.x.observed.reason), col((i) => i.x.observed.httpStatus ?? null), col((i) => i.x.observed.finalUrl ?? null), col((i) => JSON.stringify(i.x.observed.evidence))]);
    const inserted = new Map(rows.map((r) => [Number(r.finding_id), toLinkCheck(r)]));
    const recorded: RecordedChecks['recorded'] = [];
    const ends: TakedownChange[] = [];
    const leadsOn: AuditEntry[] = [];
    let nextAt: Date | undefined;
    for (const { x, link } of toInsert) {
      const check = inserted.get(x.findingId);
      // Under the lock nobody else can have recorded it; the unique key is the last guard all the same.
      if (!check) { skipped.push({ findingId: x.findingId, skip: 'already-recorded', takedownStatus: link.takedownStatus }); continue; }
      const o = x.observed;
      const next = afterCheck([...link.earlier, { outcome: o.outcome, reason: o.reason }], rule, c.at);
      recorded.push({ findingId: x.findingId, round: link.round, check, next });
      const details = { notice: c.noticeId, check: c.check, round: link.round, outcome: o.outcome, why: o.why, httpStatus: o.httpStatus ?? null, finalUrl: o.finalUrl ?? null, evidence: o.evidence };
      if (next.do === 'again') {
        nextAt = next.runAt;
        leadsOn.push({
          action: 'link-checked', kind: 'Finding', id: String(x.findingId), reason: `re-check ${c.check}: ${o.outcome} (${o.reason})`,
          details: { ...details, nextCheck: c.check + 1, nextAt: next.runAt.toISOString(), upSoFar: next.upSoFar, unknownInARow: next.unknownInARow },
        });
      } else {
        ends.push({ id: x.findingId, to: next.do === 'complete' ? 'Complete' : 'Failed', reason: next.reason, details });
      }
    }
    await changeTakedownStatusesEach(tx, ends, by);
    await appendAudit(tx, by, null, leadsOn);
    if (nextAt) await writeOutbox(tx, [recheckJob(c.noticeId, c.check + 1, nextAt)]);
    return { recorded, skipped, ...(nextAt ? { nextAt } : {}) };
  });
}

/** Every re-check of a finding, oldest first (all its takedown rounds): for the evidence pack and people. */
export async function linkChecksOf(db: Queryable, findingId: number): Promise<LinkCheck[]> {
  const { rows } = await db.query<LinkCheckRow>(`select ${COLUMNS} from link_checks where finding_id = $1 order by round, n`, [findingId]);
  return rows.map(toLinkCheck);
}
