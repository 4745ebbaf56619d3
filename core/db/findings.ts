import type pg from 'pg';
import type { PoolClient } from 'pg';
import type { MonitoringJobSpec } from '../catalog/types.js';
import { VigilError } from '../errors.js';
import { findingDetectionJob, takedownJob } from '../queues.js';
import { DETECTION_STATUSES, TAKEDOWN_STATUSES, type DetectionStatus, type TakedownStatus } from '../status.js';
import { appendAudit } from './audit.js';
import { createFindingCard, markCardsDirty } from './chat-cards.js';
import { adoptSuspectPage, recordFindingPage, recordSuspectPage, type PageCapture } from './finding-pages.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * Findings and the review queue (suspects). A finding is one content at one normalized URL: later
 * rounds (and other sources) that see it again update last_seen and the evidence, and never touch
 * the statuses people and automation have set since. Every change to a finding goes through a
 * function here that appends its audit row in the same transaction, whoever makes it (a round,
 * `vigil scan`, the Slack bot, a notice channel).
 */

type Queryable = Pick<pg.Pool, 'query'>;

/** Where a finding or suspect was seen. */
export type FindingSource = 'web' | 'rss' | 'torznab' | 'search' | 'report';

/** Who changes a record, and why: the audit row's actor and reason. */
export interface Change {
  actor: string;
  reason: string;
}

/** What a round saw of one content at one URL: the part findings and suspects share. */
interface SightingInput {
  contentId: string;
  monitoringJobId?: string;
  url: string;
  /** The URL as findings are deduplicated on (runners/monitor/url.ts normalizeUrl), and its host. */
  normalizedUrl: string;
  host: string;
  siteId?: string;
  family?: string;
  pageTitle: string;
  source: FindingSource;
  score: number;
  evidence: Record<string, unknown>;
  /** The page as fetched, kept with the record for its evidence pack (core/db/finding-pages.ts); the first one kept stays. */
  page?: PageCapture;
}

export interface FindingInput extends SightingInput {
  matchDistance?: number;
  takedownStatus: TakedownStatus;
  detectionStatus: DetectionStatus;
  seenAt?: Date;
  /**
   * The round that found it: a new finding's Slack card joins the thread of this round's summary.
   * Findings recorded outside a round (a confirmed report) are grouped by UTC day.
   */
  roundId?: string;
}

export interface Finding {
  id: number;
  contentId: string;
  monitoringJobId: string | null;
  url: string;
  normalizedUrl: string;
  host: string;
  siteId: string | null;
  family: string | null;
  pageTitle: string;
  source: FindingSource;
  score: number;
  matchDistance: number | null;
  evidence: Record<string, unknown>;
  takedownStatus: TakedownStatus;
  detectionStatus: DetectionStatus;
  firstSeen: Date;
  lastSeen: Date;
  rounds: number;
  /** Bumped by every status change: a Slack button carries the version its card showed. */
  version: number;
  /** The round that first found it. */
  roundId: string | null;
}

/**
 * The statuses a new finding starts with, by the rules of its monitoring job. 'Downloading' means
 * detection starts by itself: recordFinding writes the detect job for it.
 */
export function initialStatuses(job: Pick<MonitoringJobSpec, 'takedown' | 'detection'>, content: { watermarked?: boolean }): { takedownStatus: TakedownStatus; detectionStatus: DetectionStatus } {
  // Watermarked content is never taken down before detection: the takedown destroys the copy detection
  // needs. Its finding waits at Available for detection (or a person's override), whatever the job says.
  const takedownStatus: TakedownStatus = job.takedown === 'automatic' && !content.watermarked ? 'Takedown requested' : 'Available';
  // Detection looks for a forensic watermark: without one there is nothing to detect.
  const detectionStatus: DetectionStatus = !content.watermarked ? 'Not Available' : job.detection === 'automatic' ? 'Downloading' : 'Available';
  return { takedownStatus, detectionStatus };
}

const FINDING_COLUMNS = `id, content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score, match_distance, evidence,
  takedown_status, detection_status, first_seen, last_seen, rounds, version, round_id`;

interface FindingRow {
  id: number; content_id: string; monitoring_job_id: string | null; url: string; normalized_url: string; host: string; site_id: string | null; family: string | null;
  page_title: string; source: FindingSource; score: number; match_distance: number | null; evidence: Record<string, unknown>; takedown_status: TakedownStatus;
  detection_status: DetectionStatus; first_seen: Date; last_seen: Date; rounds: number; version: number; round_id: string | null;
}

function toFinding(r: FindingRow): Finding {
  return {
    id: r.id, contentId: r.content_id, monitoringJobId: r.monitoring_job_id, url: r.url, normalizedUrl: r.normalized_url, host: r.host, siteId: r.site_id, family: r.family,
    pageTitle: r.page_title, source: r.source, score: r.score, matchDistance: r.match_distance, evidence: r.evidence, takedownStatus: r.takedown_status,
    detectionStatus: r.detection_status, firstSeen: r.first_seen, lastSeen: r.last_seen, rounds: r.rounds, version: r.version, roundId: r.round_id,
  };
}

/**
 * Records a finding, or refreshes it if this content is already found at this normalized URL. One
 * transaction holds the finding, the suspect it confirms, its 'finding-created' audit row and, when
 * its detection starts by itself, its detect job in the outbox, and the Slack card owed for it (with
 * its round's summary): a crash keeps all or none.
 */
export async function recordFinding(pool: pg.Pool, f: FindingInput, by: Change): Promise<{ finding: Finding; created: boolean }> {
  const seen = f.seenAt ?? new Date();
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<FindingRow & { created: boolean }>(
      `insert into findings (content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score, match_distance, evidence,
         takedown_status, detection_status, first_seen, last_seen, round_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)
       on conflict (content_id, normalized_url) do update set
         last_seen = greatest(findings.last_seen, excluded.last_seen),
         rounds = findings.rounds + 1,
         score = greatest(findings.score, excluded.score),
         match_distance = least(findings.match_distance, excluded.match_distance),
         evidence = findings.evidence || excluded.evidence,
         site_id = coalesce(excluded.site_id, findings.site_id),
         family = coalesce(excluded.family, findings.family),
         page_title = case when excluded.page_title <> '' then excluded.page_title else findings.page_title end
       returning ${FINDING_COLUMNS}, (xmax = 0) as created`,
      [f.contentId, f.monitoringJobId ?? null, f.url, f.normalizedUrl, f.host, f.siteId ?? null, f.family ?? null, f.pageTitle, f.source, f.score,
        f.matchDistance ?? null, JSON.stringify(f.evidence), f.takedownStatus, f.detectionStatus, seen, f.roundId ?? `day-${seen.toISOString().slice(0, 10)}`],
    );
    const row = rows[0]!;
    const finding = toFinding(row);
    if (f.page) await recordFindingPage(tx, finding.id, f.page);
    await adoptSuspectPage(tx, finding.id, f.contentId, row.normalized_url);
    await tx.query(`update suspects set review = 'confirmed', last_seen = $3 where content_id = $1 and normalized_url = $2`, [f.contentId, row.normalized_url, seen]);
    if (row.created) {
      await appendAudit(tx, by.actor, null, [{
        action: 'finding-created', kind: 'Finding', id: String(finding.id), reason: by.reason,
        details: { contentId: f.contentId, monitoringJobId: f.monitoringJobId ?? null, url: f.url, siteId: f.siteId ?? null, family: f.family ?? null },
      }]);
      if (finding.detectionStatus === 'Downloading') await writeOutbox(tx, [findingDetectionJob(finding.id)]);
      if (finding.takedownStatus === 'Takedown requested') {
        // Automatic takedown: its first request, audited as a request like a person's and owed its job, so a
        // later re-request (after Failed) is numbered after it (core/db/finding-actions.ts).
        await appendAudit(tx, by.actor, null, [{
          action: 'takedown-status', kind: 'Finding', id: String(finding.id), reason: 'automatic takedown (the monitoring job\'s takedown: automatic)', details: { from: 'Available', to: 'Takedown requested', automatic: true },
        }]);
        await writeOutbox(tx, [takedownJob(finding.id, 1)]);
      }
      await createFindingCard(tx, finding);
    }
    return { finding, created: row.created };
  });
}

export async function findingById(db: Queryable, id: number): Promise<Finding | undefined> {
  const { rows } = await db.query<FindingRow>(`select ${FINDING_COLUMNS} from findings where id = $1`, [id]);
  return rows[0] ? toFinding(rows[0]) : undefined;
}

/** Findings by id in one query, ordered by id; an unknown id is simply absent. */
export async function findingsByIds(db: Queryable, ids: readonly number[]): Promise<Finding[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<FindingRow>(`select ${FINDING_COLUMNS} from findings where id = any($1::bigint[]) order by id`, [ids]);
  return rows.map(toFinding);
}

/**
 * Locks findings for the caller's transaction and reads them as locked, in one statement. Rows are
 * locked in id order, so two bulk changes over overlapping sets wait for each other, never deadlock.
 */
export async function lockFindings(tx: Pick<PoolClient, 'query'>, ids: readonly number[]): Promise<Finding[]> {
  if (ids.length === 0) return [];
  const { rows } = await tx.query<FindingRow>(`select ${FINDING_COLUMNS} from findings where id = any($1::bigint[]) order by id for update`, [ids]);
  return rows.map(toFinding);
}

function unknownFinding(id: number): VigilError {
  return new VigilError('FINDING_UNKNOWN', `no finding has id ${id}`);
}

/** One change of a finding's statuses: either or both, and what detection found (kept as evidence.detection). */
export interface StatusChange {
  takedown?: TakedownStatus;
  detection?: DetectionStatus;
  detectionResult?: Record<string, unknown>;
}

export interface StatusChanged {
  before: Finding;
  after: Finding;
}

/**
 * The one way a finding's statuses change, inside the caller's transaction: the row is locked, the
 * change written and one audit row appended per status that moved (action takedown-status or
 * detection-status, details from/to plus `details`). Everything that follows a status change (the
 * Slack card, follow-up jobs) hangs off here, so no caller can change a status without it: a change
 * that moves anything bumps the finding's version and marks its Slack card for an update.
 */
export async function changeFindingStatus(tx: Pick<PoolClient, 'query'>, id: number, change: StatusChange, by: Change, details: Record<string, unknown> = {}): Promise<StatusChanged> {
  return (await changeFindingStatuses(tx, [id], change, by, details))[0]!;
}

/**
 * changeFindingStatus for many findings at once (the same change, who and why), set-based: one
 * statement locks them (in id order), one UPDATE … WHERE id = ANY … RETURNING writes the change, one
 * multi-row INSERT appends the audit rows (one per finding and status, exactly as one at a time
 * would), one statement marks their Slack cards. Results in id order; an unknown id is refused
 * before anything is written.
 */
export async function changeFindingStatuses(tx: Pick<PoolClient, 'query'>, ids: readonly number[], change: StatusChange, by: Change, details: Record<string, unknown> = {},
  /** The findings as the caller locked them (lockFindings) earlier in this transaction: not locked and read again. */
  locked?: readonly Finding[]): Promise<StatusChanged[]> {
  if (change.takedown !== undefined && !TAKEDOWN_STATUSES.includes(change.takedown)) throw new VigilError('USAGE', `unknown takedown status ${JSON.stringify(change.takedown)}; one of ${TAKEDOWN_STATUSES.join(', ')}`);
  if (change.detection !== undefined && !DETECTION_STATUSES.includes(change.detection)) throw new VigilError('USAGE', `unknown detection status ${JSON.stringify(change.detection)}; one of ${DETECTION_STATUSES.join(', ')}`);
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  if (unique.length === 0) return [];
  const wanted = new Set(unique);
  const given = new Set(locked?.map((f) => f.id));
  const lockedRows = locked && unique.every((id) => given.has(id))
    ? [...locked].filter((f) => wanted.has(f.id)).sort((a, b) => a.id - b.id)
    : await lockFindings(tx, unique);
  if (lockedRows.length !== unique.length) {
    const found = new Set(lockedRows.map((f) => f.id));
    throw unknownFinding(unique.find((id) => !found.has(id))!);
  }
  const { rows } = await tx.query<FindingRow>(
    `update findings set takedown_status = coalesce($2, takedown_status), detection_status = coalesce($3, detection_status),
       evidence = case when $4::jsonb is null then evidence else evidence || jsonb_build_object('detection', $4::jsonb) end,
       version = version + case when coalesce($2, takedown_status) <> takedown_status or coalesce($3, detection_status) <> detection_status
         or ($4::jsonb is not null and evidence->'detection' is distinct from $4::jsonb) then 1 else 0 end
     where id = any($1::bigint[]) returning ${FINDING_COLUMNS}`,
    [unique, change.takedown ?? null, change.detection ?? null, change.detectionResult === undefined ? null : JSON.stringify(change.detectionResult)]);
  const afterById = new Map(rows.map((r) => { const f = toFinding(r); return [f.id, f]; }));
  const changed = lockedRows.map((before) => ({ before, after: afterById.get(before.id)! }));
  const entries = [];
  for (const { before, after } of changed) {
    const id = String(before.id);
    if (change.takedown !== undefined) entries.push({ action: 'takedown-status', kind: 'Finding', id, reason: by.reason, details: { ...details, from: before.takedownStatus, to: after.takedownStatus } });
    if (change.detection !== undefined) entries.push({ action: 'detection-status', kind: 'Finding', id, reason: by.reason, details: { ...details, from: before.detectionStatus, to: after.detectionStatus } });
  }
  await appendAudit(tx, by.actor, null, entries);
  await markCardsDirty(tx, changed.filter((c) => c.after.version !== c.before.version).map((c) => c.before.id));
  return changed;
}

export interface TakedownMoved {
  id: number;
  /** The times the finding has reached the new status, this move included (its audit rows say so). */
  arrivals: number;
}

/**
 * The takedown-status move a notice's outcome makes (Takedown requested → In Progress for every
 * finding it lists) in ONE statement, with what changeFindingStatuses does for each finding moved:
 * the rows locked in id order (so it waits for, never deadlocks with, a bulk action), only those
 * still at `from` moved, the version bumped, one audit row each (from/to plus `details`), their
 * Slack cards marked. A notice is a hot path (hundreds of findings a second): reading the findings
 * back whole, as changeFindingStatuses does, costs more than the move itself.
 */
export async function moveTakedownStatuses(tx: Pick<PoolClient, 'query'>, ids: readonly number[], move: { from: TakedownStatus; to: TakedownStatus }, by: Change,
  details: Record<string, unknown> = {}): Promise<TakedownMoved[]> {
  for (const status of [move.from, move.to]) {
    if (!TAKEDOWN_STATUSES.includes(status)) throw new VigilError('USAGE', `unknown takedown status ${JSON.stringify(status)}; one of ${TAKEDOWN_STATUSES.join(', ')}`);
  }
  if (ids.length === 0 || move.from === move.to) return [];
  const { rows } = await tx.query<{ id: string; arrivals: number }>(
    `with locked as materialized (select id, takedown_status from findings where id = any($1::bigint[]) order by id for update),
     moved as (
       update findings f set takedown_status = $3, version = f.version + 1 from locked
       where f.id = locked.id and locked.takedown_status = $2 returning f.id),
     audit as (
       insert into audit_log (actor, action, object_kind, object_id, commit, reason, details)
       select $4, 'takedown-status', 'Finding', m.id::text, null, $5, $6::jsonb || jsonb_build_object('from', $2::text, 'to', $3::text)
       from moved m order by m.id),
     card as (
       update chat_cards c set dirty = true, updated_at = now() from moved m where c.finding_id = m.id and c.state <> 'skipped' returning c.summary_id),
     summary as (update chat_summaries s set revision = s.revision + 1, updated_at = now() where s.id in (select summary_id from card))
     select m.id, 1 + (select count(*)::int from audit_log a where a.object_kind = 'Finding' and a.object_id = m.id::text
       and a.action = 'takedown-status' and a.details->>'to' = $3) as arrivals
     from moved m order by m.id`,
    [[...new Set(ids)], move.from, move.to, by.actor, by.reason, JSON.stringify(details)]);
  return rows.map((r) => ({ id: Number(r.id), arrivals: r.arrivals }));
}

/** Sets a finding's takedown status and audits the change (from → to) in one transaction. */
export async function setTakedownStatus(pool: pg.Pool, id: number, status: TakedownStatus, by: Change): Promise<{ from: TakedownStatus; to: TakedownStatus }> {
  const { before, after } = await inTransaction(pool, (tx) => changeFindingStatus(tx, id, { takedown: status }, by));
  return { from: before.takedownStatus, to: after.takedownStatus };
}

/**
 * Sets a finding's detection status and audits the change in one transaction; `detection`, when
 * given, is what detection found, kept on the finding as evidence.detection.
 */
export async function setDetectionStatus(pool: pg.Pool, id: number, status: DetectionStatus, by: Change, detection?: Record<string, unknown>): Promise<{ from: DetectionStatus; to: DetectionStatus }> {
  const change: StatusChange = detection === undefined ? { detection: status } : { detection: status, detectionResult: detection };
  const { before, after } = await inTransaction(pool, (tx) => changeFindingStatus(tx, id, change, by));
  return { from: before.detectionStatus, to: after.detectionStatus };
}

/** One finding's takedown-status change with its own reason and audit details (a re-check's outcome: its link's evidence). */
export interface TakedownChange {
  id: number;
  to: TakedownStatus;
  reason: string;
  details: Record<string, unknown>;
}

/**
 * Takedown-status changes that differ per finding in status, reason and details (the re-checks of a
 * notice's links: Complete or Failed, each with what its check saw), in ONE statement doing for each
 * what changeFindingStatuses does: the rows locked in id order, the change written, the version
 * bumped when the status moved, one audit row each (details plus from/to), the moved findings' Slack
 * cards marked. Results in id order; a finding that does not exist is absent.
 */
export async function changeTakedownStatusesEach(tx: Pick<PoolClient, 'query'>, changes: readonly TakedownChange[], actor: string): Promise<{ id: number; from: TakedownStatus; to: TakedownStatus }[]> {
  for (const c of changes) {
    if (!TAKEDOWN_STATUSES.includes(c.to)) throw new VigilError('USAGE', `unknown takedown status ${JSON.stringify(c.to)}; one of ${TAKEDOWN_STATUSES.join(', ')}`);
  }
  if (changes.length === 0) return [];
  const { rows } = await tx.query<{ id: string; from_status: TakedownStatus; to_status: TakedownStatus }>(
    `with c as (select * from jsonb_to_recordset($1::jsonb) as c(id bigint, "to" text, reason text, details jsonb)),
     locked as materialized (select f.id, f.takedown_status from findings f where f.id in (select id from c) order by f.id for update),
     moved as (
       update findings f set takedown_status = c."to", version = f.version + case when locked.takedown_status <> c."to" then 1 else 0 end
       from c join locked on locked.id = c.id where f.id = c.id
       returning f.id, locked.takedown_status as from_status, c."to" as to_status, c.reason, c.details),
     audit as (
       insert into audit_log (actor, action, object_kind, object_id, commit, reason, details)
       select $2, 'takedown-status', 'Finding', m.id::text, null, m.reason, coalesce(m.details, '{}'::jsonb) || jsonb_build_object('from', m.from_status, 'to', m.to_status)
       from moved m order by m.id),
     card as (
       update chat_cards cc set dirty = true, updated_at = now() from moved m
       where cc.finding_id = m.id and m.from_status <> m.to_status and cc.state <> 'skipped' returning cc.summary_id),
     summary as (update chat_summaries s set revision = s.revision + 1, updated_at = now() where s.id in (select summary_id from card))
     select m.id, m.from_status, m.to_status from moved m order by m.id`,
    [JSON.stringify(changes.map((c) => ({ id: c.id, to: c.to, reason: c.reason, details: c.details }))), actor]);
  return rows.map((r) => ({ id: Number(r.id), from: r.from_status, to: r.to_status }));
}

export interface SuspectInput extends SightingInput {
  reason: string;
  /** Premium monitoring puts unconfirmed suspects before people. */
  queueForReview: boolean;
}

/** Records a suspect phase 2 did not confirm (or refreshes it); a new one is audited in the same transaction. */
export async function recordSuspect(pool: pg.Pool, s: SuspectInput, by: Pick<Change, 'actor'>): Promise<{ id: number; created: boolean }> {
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: number; created: boolean; review: string }>(
      `insert into suspects (content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score, reason, evidence, review)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       on conflict (content_id, normalized_url) do update set
         last_seen = now(), score = greatest(suspects.score, excluded.score), reason = excluded.reason, evidence = excluded.evidence,
         review = case when suspects.review = 'pending' then excluded.review else suspects.review end
       returning id, review, (xmax = 0) as created`,
      [s.contentId, s.monitoringJobId ?? null, s.url, s.normalizedUrl, s.host, s.siteId ?? null, s.family ?? null, s.pageTitle, s.source, s.score, s.reason,
        JSON.stringify(s.evidence), s.queueForReview ? 'queued' : 'pending'],
    );
    const row = rows[0]!;
    if (s.page) await recordSuspectPage(tx, row.id, s.page);
    if (row.created) {
      await appendAudit(tx, by.actor, null, [{
        action: 'suspect-created', kind: 'Suspect', id: String(row.id), reason: s.reason, details: { contentId: s.contentId, url: s.url, review: row.review },
      }]);
    }
    return { id: row.id, created: row.created };
  });
}

export interface ReviewItem {
  id: number;
  /** Null for a reported link whose title nobody has named yet (core/db/review.ts). */
  contentId: string | null;
  url: string;
  pageTitle: string;
  score: number;
  reason: string;
  siteId: string | null;
}

/** Suspects waiting for a person, strongest first. */
export async function reviewQueue(db: Queryable, contentId?: string, limit = 100): Promise<ReviewItem[]> {
  const { rows } = await db.query<{ id: number; content_id: string | null; url: string; page_title: string; score: number; reason: string; site_id: string | null }>(
    `select id, content_id, url, page_title, score, reason, site_id from suspects
     where review = 'queued' and ($1::text is null or content_id = $1) order by score desc, id limit $2`, [contentId ?? null, limit]);
  return rows.map((r) => ({ id: r.id, contentId: r.content_id, url: r.url, pageTitle: r.page_title, score: r.score, reason: r.reason, siteId: r.site_id }));
}

export interface FindingQuery {
  contentId?: string;
  /** Matches the content's title, aliases and localized titles, and the page title (case-insensitive substring). */
  title?: string;
  /** Inclusive calendar days in a time zone: { from: '2026-03-01', to: '2026-03-31', timeZone: 'Asia/Seoul' }. */
  period?: { from?: string; to?: string; timeZone: string; field?: 'first_seen' | 'last_seen' };
  /** One URL (normalized as findings are) or a host with its subdomains. */
  link?: { normalizedUrl: string } | { host: string };
  takedownStatus?: readonly TakedownStatus[];
  detectionStatus?: readonly DetectionStatus[];
  family?: string;
  /**
   * Keyset paging: only the findings after this one in the listing's order (newest first). The
   * cursor is read from the row itself, so first_seen keeps its microseconds (a Date would not).
   */
  afterId?: number;
  limit?: number;
  offset?: number;
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new VigilError('USAGE', `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as UTC, Europe/Paris or Asia/Seoul`);
  }
}

function checkDay(day: string): void {
  // Date.parse takes 2026-02-30 as 2 March: a real day survives the round trip.
  const time = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || !new Date(time).toISOString().startsWith(day)) throw new VigilError('USAGE', `${JSON.stringify(day)} is not a date (yyyy-MM-dd)`);
}

export async function queryFindings(db: Queryable, q: FindingQuery): Promise<Finding[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown): string => { params.push(value); return `$${params.length}`; };
  if (q.contentId) where.push(`f.content_id = ${p(q.contentId)}`);
  if (q.title) {
    const pattern = `%${q.title.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    // The titles that match are found first, in the catalog (a few rows): a per-finding subquery
    // inside the OR would keep the planner from the page-title trigram index (migration 19).
    const { rows: titled } = await db.query<{ id: string }>(
      `select c.id from catalog_objects c where c.kind = 'Content' and (
         c.spec->>'title' ilike $1
         or exists (select 1 from jsonb_array_elements_text(coalesce(c.spec->'aliases', '[]')) a where a ilike $1)
         or exists (select 1 from jsonb_array_elements(coalesce(c.spec->'localizedTitles', '[]')) l where l->>'title' ilike $1))`, [pattern]);
    where.push(`(f.page_title ilike ${p(pattern)} or f.content_id = any(${p(titled.map((r) => r.id))}::text[]))`);
  }
  if (q.period) {
    checkTimeZone(q.period.timeZone);
    const field = q.period.field === 'last_seen' ? 'f.last_seen' : 'f.first_seen';
    const tz = p(q.period.timeZone);
    if (q.period.from) { checkDay(q.period.from); where.push(`${field} >= (${p(q.period.from)}::date::timestamp at time zone ${tz})`); }
    if (q.period.to) { checkDay(q.period.to); where.push(`${field} < ((${p(q.period.to)}::date + 1)::timestamp at time zone ${tz})`); }
  }
  if (q.link) {
    if ('normalizedUrl' in q.link) where.push(`f.normalized_url = ${p(q.link.normalizedUrl)}`);
    else {
      const host = q.link.host.toLowerCase().replace(/^www\./, '');
      where.push(`(f.host = ${p(host)} or f.host like ${p(`%.${host}`)})`);
    }
  }
  if (q.takedownStatus && q.takedownStatus.length > 0) {
    for (const s of q.takedownStatus) if (!TAKEDOWN_STATUSES.includes(s)) throw new VigilError('USAGE', `unknown takedown status ${JSON.stringify(s)}; one of ${TAKEDOWN_STATUSES.join(', ')}`);
    where.push(`f.takedown_status = any(${p(q.takedownStatus)}::text[])`);
  }
  if (q.detectionStatus && q.detectionStatus.length > 0) {
    for (const s of q.detectionStatus) if (!DETECTION_STATUSES.includes(s)) throw new VigilError('USAGE', `unknown detection status ${JSON.stringify(s)}; one of ${DETECTION_STATUSES.join(', ')}`);
    where.push(`f.detection_status = any(${p(q.detectionStatus)}::text[])`);
  }
  if (q.family) where.push(`f.family = ${p(q.family)}`);
  if (q.afterId !== undefined) {
    const after = p(q.afterId);
    where.push(`(f.first_seen, f.id) < (select c.first_seen, c.id from findings c where c.id = ${after})`);
  }
  const sql = `select ${FINDING_COLUMNS.split(',').map((c) => `f.${c.trim()}`).join(', ')} from findings f
    ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by f.first_seen desc, f.id desc limit ${p(q.limit ?? 1000)} offset ${p(q.offset ?? 0)}`;
  const { rows } = await db.query<FindingRow>(sql, params);
  return rows.map(toFinding);
}
