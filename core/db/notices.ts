import type pg from 'pg';
import { formNoticeJob, noticeJob, recheckJob } from '../queues.js';
import { appendAudit } from './audit.js';
import { changeFindingStatuses, lockFindings, moveTakedownStatuses } from './findings.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * Takedown notices as records (migration 11): the outbox of notices. A composed notice is written
 * with the findings it lists and its 'notice' job in one transaction; a claim moves it to
 * 'sending' before any byte leaves; the receipts and what they lead to (the findings In Progress
 * with their first re-check owed, or Failed) are written in one transaction after delivery.
 *
 * The one window that cannot be closed: a worker killed after the mail server accepted a notice and
 * before the outcome committed leaves it 'sending'. The next claim cannot know whether it went, so it
 * sends again (same Message-ID, so the host's desk sees a resend) and marks the notice `recovered`.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export const NOTICE_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];
export type NoticeChannelName = 'smtp' | 'form';

/** JSON as stored in a receipt's details. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A notice as composed, before it has a row. */
export interface NewNotice {
  key: string;
  contact: string;
  channel: NoticeChannelName;
  language: string;
  dir: 'ltr' | 'rtl';
  subject: string;
  text: string;
  html: string;
  urls: string[];
  works: JsonValue;
  sender: { name: string; email: string; organization?: string };
  part: { index: number; total: number };
  findingIds: number[];
}

export interface NoticeReceipt {
  attempt: number;
  channel: string;
  outcome: 'sent' | 'failed';
  externalId: string | null;
  reason: string | null;
  retryable: boolean | null;
  details: Record<string, JsonValue>;
  at: Date;
}

export interface NoticeRecord extends Omit<NewNotice, 'findingIds'> {
  id: number;
  findingIds: number[];
  status: NoticeStatus;
  attempts: number;
  recovered: boolean;
  createdAt: Date;
  sentAt: Date | null;
  receipts: NoticeReceipt[];
}

interface NoticeRow {
  id: string; notice_key: string; contact: string; channel: NoticeChannelName; language: string; dir: 'ltr' | 'rtl'; subject: string; text: string; html: string;
  urls: string[]; works: JsonValue; sender: NewNotice['sender']; part_index: number; part_total: number; status: NoticeStatus; attempts: number; recovered: boolean;
  created_at: Date; sent_at: Date | null; finding_ids: string[];
}

const SELECT_NOTICE = `select n.id, n.notice_key, n.contact, n.channel, n.language, n.dir, n.subject, n.text, n.html, n.urls, n.works, n.sender, n.part_index, n.part_total,
  n.status, n.attempts, n.recovered, n.created_at, n.sent_at,
  coalesce((select array_agg(f.finding_id order by f.finding_id) from notice_findings f where f.notice_id = n.id), '{}') as finding_ids
  from notices n`;

function toRecord(r: NoticeRow, receipts: NoticeReceipt[] = []): NoticeRecord {
  return {
    id: Number(r.id), key: r.notice_key, contact: r.contact, channel: r.channel, language: r.language, dir: r.dir, subject: r.subject, text: r.text, html: r.html,
    urls: r.urls, works: r.works, sender: r.sender, part: { index: r.part_index, total: r.part_total }, findingIds: r.finding_ids.map(Number),
    status: r.status, attempts: r.attempts, recovered: r.recovered, createdAt: r.created_at, sentAt: r.sent_at, receipts,
  };
}

/** Findings waiting for a notice (all, or those `among` the ids given): 'Takedown requested' and listed in no notice still queued or sending. */
export async function findingsAwaitingNotice(db: Queryable, among?: readonly number[]): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `select f.id from findings f where f.takedown_status = 'Takedown requested' and ($1::bigint[] is null or f.id = any($1::bigint[]))
       and not exists (select 1 from notice_findings nf join notices n on n.id = nf.notice_id where nf.finding_id = f.id and n.status in ('queued', 'sending'))
     order by f.id`, [among ?? null]);
  return rows.map((r) => Number(r.id));
}

export type CreatedNotices = { created: NoticeRecord[]; skipped: { key: string; why: string }[] };

/**
 * Writes composed notices, the findings each lists and their 'notice' jobs in one transaction. The
 * findings are locked first: a notice one of whose findings is no longer waiting (a person chose
 * Ignore meanwhile, or another pass wrote its notice) is not written, and said so. A key already
 * written (the same pass run twice) is skipped too. The findings stay 'Takedown requested' until sent.
 */
export async function createNotices(pool: pg.Pool, notices: readonly NewNotice[], actor = 'takedown'): Promise<CreatedNotices> {
  if (notices.length === 0) return { created: [], skipped: [] };
  return inTransaction(pool, async (tx) => {
    const ids = [...new Set(notices.flatMap((n) => n.findingIds))].sort((a, b) => a - b);
    await tx.query('select id from findings where id = any($1::bigint[]) order by id for update', [ids]);
    const waiting = new Set(await findingsAwaitingNotice(tx, ids));
    const skipped: { key: string; why: string }[] = [];
    const writable: NewNotice[] = [];
    for (const n of notices) {
      const notWaiting = n.findingIds.filter((id) => !waiting.has(id));
      if (notWaiting.length > 0) skipped.push({ key: n.key, why: `finding ${notWaiting.join(', ')} no longer awaits a notice` });
      else writable.push(n);
    }
    // One multi-row INSERT for the notices (in the order given, so ids follow it), one for the findings they list,
    // one for their jobs and one for the audit rows.
    const { rows } = await tx.query<{ id: string; notice_key: string }>(
      `insert into notices (notice_key, contact, channel, language, dir, subject, text, html, urls, works, sender, part_index, part_total)
       select r.key, r.contact, r.channel, r.language, r.dir, r.subject, r.text, r.html, array(select jsonb_array_elements_text(r.urls)), r.works, r.sender, r.part_index, r.part_total
       from jsonb_to_recordset($1::jsonb) as r(key text, contact text, channel text, language text, dir text, subject text, text text, html text,
         urls jsonb, works jsonb, sender jsonb, part_index int, part_total int, ord int)
       order by r.ord
       on conflict (notice_key) do nothing returning id, notice_key`,
      [JSON.stringify(writable.map((n, ord) => ({
        ord, key: n.key, contact: n.contact, channel: n.channel, language: n.language, dir: n.dir, subject: n.subject, text: n.text, html: n.html,
        urls: n.urls, works: n.works, sender: n.sender, part_index: n.part.index, part_total: n.part.total,
      })))]);
    const idOf = new Map(rows.map((r) => [r.notice_key, Number(r.id)]));
    const written: { id: number; n: NewNotice }[] = [];
    const seen = new Set<string>();
    for (const n of writable) {
      const id = idOf.get(n.key);
      // A key written before (the same pass run twice), or twice in this batch: only the first is the notice.
      if (id === undefined || seen.has(n.key)) { skipped.push({ key: n.key, why: 'a notice with this key exists already' }); continue; }
      seen.add(n.key);
      written.push({ id, n });
    }
    if (written.length === 0) return { created: [], skipped };
    await tx.query('insert into notice_findings (notice_id, finding_id) select * from unnest($1::bigint[], $2::bigint[])',
      [written.flatMap((w) => w.n.findingIds.map(() => w.id)), written.flatMap((w) => w.n.findingIds)]);
    await writeOutbox(tx, written.map((w) => noticeJob(w.id)));
    await appendAudit(tx, actor, null, written.flatMap(({ id, n }) => [
      { action: 'notice-created', kind: 'Notice', id: String(id), reason: `notice ${n.part.index}/${n.part.total} to ${n.contact} by ${n.channel}`, details: { key: n.key, urls: n.urls.length, findings: n.findingIds } },
      ...n.findingIds.map((f) => ({ action: 'notice-queued', kind: 'Finding', id: String(f), reason: `listed in notice ${id} to ${n.contact}`, details: { notice: id } })),
    ]));
    const { rows: full } = await tx.query<NoticeRow>(`${SELECT_NOTICE} where n.id = any($1::bigint[])`, [written.map((w) => w.id)]);
    const records = new Map(full.map((r) => [Number(r.id), toRecord(r)]));
    return { created: written.map((w) => records.get(w.id)!), skipped };
  });
}

/** What a channel needs of each finding a notice lists (the batch channels name each URL's work). */
export interface NoticeFindingRef {
  id: number;
  url: string;
  contentId: string;
}

export type NoticeClaim =
  | { claimed: true; notice: NoticeRecord; recovered: boolean; findings: NoticeFindingRef[] }
  | { claimed: false; status: NoticeStatus | 'unknown' };

/**
 * Takes a notice for sending: queued → sending with attempts + 1. A notice found 'sending' was left by
 * a worker that died mid-delivery: it is taken again and flagged recovered, since it may have gone.
 * A notice sent or failed already is not taken (the job ran again after its outcome committed).
 */
export async function claimNotice(pool: pg.Pool, id: number, actor = 'takedown'): Promise<NoticeClaim> {
  // One statement (one round trip, atomic on its own): lock, claim, the recovered audit row when it is one, the claimed notice as it now is
  // and what the channels need of its findings.
  const { rows } = await pool.query<{ was: NoticeStatus; notice: (NoticeRow & { findings: NoticeFindingRef[] }) | null }>(
    `with cur as (select id, status from notices where id = $1 for update),
     claimed as (
       update notices n set status = 'sending', attempts = n.attempts + 1, recovered = n.recovered or cur.status = 'sending'
       from cur where n.id = cur.id and cur.status in ('queued', 'sending')
       returning n.id, n.notice_key, n.contact, n.channel, n.language, n.dir, n.subject, n.text, n.html, n.urls, n.works, n.sender, n.part_index, n.part_total,
         n.status, n.attempts, n.recovered, n.created_at, n.sent_at,
         coalesce((select array_agg(f.finding_id order by f.finding_id) from notice_findings f where f.notice_id = n.id), '{}') as finding_ids,
         coalesce((select jsonb_agg(jsonb_build_object('id', f.id, 'url', f.url, 'contentId', f.content_id) order by f.id)
           from notice_findings nf join findings f on f.id = nf.finding_id where nf.notice_id = n.id), '[]') as findings),
     audit as (
       insert into audit_log (actor, action, object_kind, object_id, commit, reason, details)
       select $2, 'notice-recovered', 'Notice', cur.id::text, null, 'a worker stopped while sending it; it is sent again and may reach its contact twice (same Message-ID)', '{}'::jsonb
       from cur join claimed on claimed.id = cur.id where cur.status = 'sending')
     select cur.status as was, (select to_jsonb(claimed) from claimed) as notice from cur`, [id, actor]);
  const row = rows[0];
  if (!row) return { claimed: false, status: 'unknown' };
  if (!row.notice) return { claimed: false, status: row.was };
  const n = row.notice;
  // Through JSON: timestamps come back as strings, bigint ids as numbers.
  const notice = toRecord({ ...n, created_at: new Date(n.created_at), sent_at: n.sent_at === null ? null : new Date(n.sent_at) });
  return { claimed: true, notice, recovered: row.was === 'sending', findings: n.findings };
}

/** One channel's answer, as the worker hands it over. */
export type ReceiptInput =
  | { outcome: 'sent'; channel: string; at: Date; externalId: string; details: Record<string, JsonValue> }
  | { outcome: 'failed'; channel: string; at: Date; reason: string; retryable: boolean; code?: string };

/** What a try of a notice led to: sent, a failure to try again later, or a failure for good. */
export type NoticeOutcome =
  | { status: 'sent' }
  | { status: 'retry' }
  | { status: 'failed'; reason: string };

export interface OutcomeRules {
  /** The Policy's recheck.firstAfterMinutes. */
  firstAfterMinutes: number;
  now: Date;
}

/** The receipts as rows of the statement that writes them, in the order given (their ids follow it). */
function receiptRows(receipts: readonly ReceiptInput[]): string {
  return JSON.stringify(receipts.map((r, ord) => ({
    ord, channel: r.channel, outcome: r.outcome, external_id: r.outcome === 'sent' ? r.externalId : null, reason: r.outcome === 'failed' ? r.reason : null,
    retryable: r.outcome === 'failed' ? r.retryable : null, details: r.outcome === 'sent' ? r.details : r.code ? { code: r.code } : {}, at: r.at,
  })));
}

/**
 * Records one try of a notice: its receipts and, in the same transaction, its outcome. Sent: the
 * notice's findings still 'Takedown requested' go In Progress and the notice owes its first re-check
 * (one job for all its links) `firstAfterMinutes` later. Retry: back to queued. Failed for good: findings still waiting (and
 * listed in no other notice that went or may go) go Failed with the reason on their audit row.
 * A sent notice, the worker's hot path, is three statements: the notice with its receipts, its
 * findings moved (moveTakedownStatuses), its re-check owed.
 */
export async function recordNoticeOutcome(pool: pg.Pool, id: number, receipts: readonly ReceiptInput[], outcome: NoticeOutcome, rules: OutcomeRules, actor = 'takedown'): Promise<void> {
  await inTransaction(pool, async (tx) => {
    // The notice's new status and its receipts written, and the notice read back with the findings it lists, in one statement (which locks it).
    const status = outcome.status === 'retry' ? 'queued' : outcome.status;
    const { rows } = await tx.query<{ attempts: number; contact: string; channel: string; finding_ids: string[] }>(
      `with n as (
         update notices set status = $2, sent_at = case when $2 = 'sent' then $3::timestamptz else sent_at end where id = $1
         returning id, attempts, contact, channel),
       receipts as (
         insert into notice_receipts (notice_id, attempt, channel, outcome, external_id, reason, retryable, details, at)
         select n.id, n.attempts, r.channel, r.outcome, r.external_id, r.reason, r.retryable, r.details, r.at
         from n, jsonb_to_recordset($4::jsonb) as r(ord int, channel text, outcome text, external_id text, reason text, retryable boolean, details jsonb, at timestamptz)
         order by r.ord)
       select n.attempts, n.contact, n.channel, array(select finding_id from notice_findings where notice_id = n.id order by finding_id) as finding_ids from n`,
      [id, status, rules.now, receiptRows(receipts)]);
    const notice = rows[0];
    if (!notice) throw new Error(`no notice ${id}`);
    const findingIds = notice.finding_ids.map(Number);
    if (outcome.status === 'retry') return;
    if (outcome.status === 'sent') {
      const firstAt = new Date(rules.now.getTime() + rules.firstAfterMinutes * 60_000);
      // Only findings still 'Takedown requested' move (one a person stopped meanwhile stays as it is); a re-check round is the times it went In Progress.
      const moved = await moveTakedownStatuses(tx, findingIds, { from: 'Takedown requested', to: 'In Progress' }, { actor, reason: `notice ${id} sent to ${notice.contact} by ${notice.channel}` }, { notice: id });
      // A form notice went nowhere yet: a person pastes it from Slack, so its post is owed with the outcome.
      await writeOutbox(tx, [...(notice.channel === 'form' ? [formNoticeJob(id)] : []), ...(moved.length > 0 ? [recheckJob(id, 1, firstAt)] : [])]);
      return;
    }
    // Every finding of the notice locked in one statement (id order) before deciding which fail.
    await lockFindings(tx, findingIds);
    // A finding listed in another notice that went or may go is not Failed by this one.
    const { rows: failing } = await tx.query<{ id: string }>(
      `select f.id from findings f where f.id = any($1::bigint[]) and f.takedown_status = 'Takedown requested'
         and not exists (select 1 from notice_findings nf join notices n on n.id = nf.notice_id where nf.finding_id = f.id and n.id <> $2 and n.status in ('queued', 'sending', 'sent'))
       order by f.id`, [findingIds, id]);
    await changeFindingStatuses(tx, failing.map((r) => Number(r.id)), { takedown: 'Failed' }, { actor, reason: `notice ${id} to ${notice.contact} not delivered: ${outcome.reason}` }, { notice: id });
  });
}

/** A finding that cannot get a notice (no reachable contact, a Policy with no sender): Failed, the why on its audit row. */
export async function failFindingsWithoutNotice(pool: pg.Pool, findings: readonly { id: number; why: string }[], actor = 'takedown'): Promise<number[]> {
  if (findings.length === 0) return [];
  return inTransaction(pool, async (tx) => {
    const locked = await lockFindings(tx, findings.map((f) => f.id));
    const requested = new Set(locked.filter((f) => f.takedownStatus === 'Takedown requested').map((f) => f.id));
    // One set-based change per reason (a host's findings share theirs).
    const byWhy = new Map<string, number[]>();
    for (const { id, why } of findings) {
      if (!requested.has(id)) continue;
      requested.delete(id);
      const ids = byWhy.get(why) ?? [];
      ids.push(id);
      byWhy.set(why, ids);
    }
    const failed: number[] = [];
    for (const [why, ids] of byWhy) {
      await changeFindingStatuses(tx, ids, { takedown: 'Failed' }, { actor, reason: why }, { noNotice: true });
      failed.push(...ids);
    }
    return failed;
  });
}

async function receiptsOf(db: Queryable, ids: readonly number[]): Promise<Map<number, NoticeReceipt[]>> {
  const { rows } = await db.query<{ notice_id: string; attempt: number; channel: string; outcome: 'sent' | 'failed'; external_id: string | null; reason: string | null; retryable: boolean | null; details: Record<string, JsonValue>; at: Date }>(
    'select notice_id, attempt, channel, outcome, external_id, reason, retryable, details, at from notice_receipts where notice_id = any($1::bigint[]) order by id', [ids]);
  const by = new Map<number, NoticeReceipt[]>();
  for (const r of rows) {
    const list = by.get(Number(r.notice_id)) ?? [];
    list.push({ attempt: r.attempt, channel: r.channel, outcome: r.outcome, externalId: r.external_id, reason: r.reason, retryable: r.retryable, details: r.details, at: r.at });
    by.set(Number(r.notice_id), list);
  }
  return by;
}

/** Notices (with their receipts), oldest first: all, those listing a finding, or those in a status. */
export async function listNotices(db: Queryable, filter: { findingId?: number; status?: NoticeStatus } = {}): Promise<NoticeRecord[]> {
  const { rows } = await db.query<NoticeRow>(
    `${SELECT_NOTICE} where ($1::bigint is null or exists (select 1 from notice_findings x where x.notice_id = n.id and x.finding_id = $1))
       and ($2::text is null or n.status = $2) order by n.id`,
    [filter.findingId ?? null, filter.status ?? null]);
  const receipts = await receiptsOf(db, rows.map((r) => Number(r.id)));
  return rows.map((r) => toRecord(r, receipts.get(Number(r.id)) ?? []));
}

/** Every notice that lists the finding, with its receipts: what the evidence pack shows. */
export function noticesForFinding(db: Queryable, findingId: number): Promise<NoticeRecord[]> {
  return listNotices(db, { findingId });
}

export async function noticeById(db: Queryable, id: number): Promise<NoticeRecord | undefined> {
  const { rows } = await db.query<NoticeRow>(`${SELECT_NOTICE} where n.id = $1`, [id]);
  if (!rows[0]) return undefined;
  return toRecord(rows[0], (await receiptsOf(db, [id])).get(id) ?? []);
}
