import type pg from 'pg';
import type { ContentSpec, MonitoringJobSpec } from '../catalog/types.js';
import { VigilError } from '../errors.js';
import { checkedLink } from '../url.js';
import { appendAudit } from './audit.js';
import { initialStatuses, recordFinding, type Change } from './findings.js';
import { inTransaction } from './transaction.js';

/**
 * The review queue as people work it: a link anyone reports joins the queue as a suspect (source
 * 'report', reporter and note kept), and a reviewer confirms a suspect (it becomes a finding, with
 * the statuses its content's monitoring job gives) or rejects it. Every step is audited; deciding
 * a suspect that is already decided changes nothing.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface ReportInput {
  url: string;
  note: string;
  /** Who reported it (a Slack user id, or 'cli:NAME'). */
  reporter: string;
}

export interface ReportOutcome {
  suspectId: number;
  /** False when the link was already in the queue (the first reporter stays on it). */
  created: boolean;
  /** A finding already at this link: nothing to review, the reporter is told which. */
  findingId?: number;
}

/** Puts a reported link in the review queue (one suspect per link while its content is unknown); each report is audited. */
export async function reportLink(pool: pg.Pool, input: ReportInput): Promise<ReportOutcome> {
  const link = checkedLink(input.url);
  const note = input.note.trim().slice(0, 2000);
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: number; created: boolean }>(
      `insert into suspects (content_id, url, normalized_url, host, source, score, reason, review, reporter, note)
       values (null, $1, $2, $3, 'report', 0, $4, 'queued', $5, $6)
       on conflict (normalized_url) where content_id is null do update set last_seen = now()
       returning id, (xmax = 0) as created`,
      [link.url, link.normalizedUrl, link.host, `reported by ${input.reporter}`, input.reporter, note]);
    const row = rows[0]!;
    const found = await tx.query<{ id: number }>('select id from findings where normalized_url = $1 order by id limit 1', [link.normalizedUrl]);
    await appendAudit(tx, input.reporter, null, [{
      action: 'link-reported', kind: 'Suspect', id: String(row.id), reason: note || 'reported without a note',
      details: { url: link.url, created: row.created, findingId: found.rows[0]?.id ?? null },
    }]);
    return { suspectId: row.id, created: row.created, ...(found.rows[0] ? { findingId: found.rows[0].id } : {}) };
  });
}

export type ReviewState = 'pending' | 'queued' | 'confirmed' | 'rejected';

export interface ReviewEntry {
  id: number;
  /** Null for a reported link whose content nobody has named yet. */
  contentId: string | null;
  url: string;
  host: string;
  pageTitle: string;
  score: number;
  reason: string;
  source: string;
  reporter: string | null;
  note: string;
  review: ReviewState;
  findingId: number | null;
  firstSeen: Date;
}

interface SuspectRow {
  id: number; content_id: string | null; url: string; normalized_url: string; host: string; site_id: string | null; family: string | null; page_title: string;
  source: string; score: number; reason: string; evidence: Record<string, unknown>; reporter: string | null; note: string; review: ReviewState;
  finding_id: number | null; first_seen: Date; monitoring_job_id: string | null;
}

const SUSPECT_COLUMNS = 'id, content_id, url, normalized_url, host, site_id, family, page_title, source, score, reason, evidence, reporter, note, review, finding_id, first_seen, monitoring_job_id';

function toEntry(r: SuspectRow): ReviewEntry {
  return {
    id: r.id, contentId: r.content_id, url: r.url, host: r.host, pageTitle: r.page_title, score: r.score, reason: r.reason, source: r.source,
    reporter: r.reporter, note: r.note, review: r.review, findingId: r.finding_id, firstSeen: r.first_seen,
  };
}

export async function suspectById(db: Queryable, id: number): Promise<ReviewEntry | undefined> {
  const { rows } = await db.query<SuspectRow>(`select ${SUSPECT_COLUMNS} from suspects where id = $1`, [id]);
  return rows[0] ? toEntry(rows[0]) : undefined;
}

/** One page of the suspects waiting for a person, strongest first (then oldest). */
export async function reviewPage(db: Queryable, page: { limit: number; offset?: number }): Promise<ReviewEntry[]> {
  const { rows } = await db.query<SuspectRow>(
    `select ${SUSPECT_COLUMNS} from suspects where review = 'queued' order by score desc, id limit $1 offset $2`, [page.limit, page.offset ?? 0]);
  return rows.map(toEntry);
}

/** The titles a reviewer may choose for a reported link: applied Content, by id. */
export async function reviewContents(db: Queryable, limit = 100): Promise<{ id: string; title: string }[]> {
  const { rows } = await db.query<{ id: string; title: string }>(
    `select id, spec->>'title' as title from catalog_objects where kind = 'Content' and deleted_at is null order by id limit $1`, [limit]);
  return rows;
}

export type Decision = 'confirm' | 'reject';

export interface DecisionOutcome {
  suspectId: number;
  /** False when the suspect was already decided: nothing changed. */
  changed: boolean;
  review: ReviewState;
  findingId: number | null;
}

/** The content and its monitoring job, which give a confirmed suspect's first statuses. */
async function contentRules(db: Queryable, contentId: string): Promise<{ content: ContentSpec; job: { id: string; spec: MonitoringJobSpec } | undefined } | undefined> {
  const content = await db.query<{ spec: ContentSpec }>(`select spec from catalog_objects where kind = 'Content' and id = $1 and deleted_at is null`, [contentId]);
  if (!content.rows[0]) return undefined;
  const job = await db.query<{ id: string; spec: MonitoringJobSpec }>(
    `select id, spec from catalog_objects where kind = 'MonitoringJob' and spec->>'content' = $1 and deleted_at is null order by id limit 1`, [contentId]);
  return { content: content.rows[0].spec, job: job.rows[0] };
}

/** Serializes decisions on one suspect across processes (the first of the advisory lock's two keys). */
const DECISION_LOCK = 0x5e5_0001;

/**
 * Confirms (a finding through recordFinding, statuses from the content's monitoring job) or
 * rejects a suspect, audited. A suspect already confirmed or rejected is left as it is: a second
 * click, a second reviewer or a retried job changes nothing. `contentId` names the content of a
 * reported link, which has none of its own.
 */
export async function decideSuspect(pool: pg.Pool, suspectId: number, decision: Decision, by: Change, contentId?: string): Promise<DecisionOutcome> {
  const lock = await pool.connect();
  try {
    // recordFinding runs its own transaction: the session lock keeps a second decision out until this one is written.
    await lock.query('select pg_advisory_lock($1, $2)', [DECISION_LOCK, suspectId]);
    try {
      const { rows } = await lock.query<SuspectRow>(`select ${SUSPECT_COLUMNS} from suspects where id = $1`, [suspectId]);
      const suspect = rows[0];
      if (!suspect) throw new VigilError('SUSPECT_UNKNOWN', `no suspect has id ${suspectId}`);
      if (suspect.review === 'confirmed' || suspect.review === 'rejected') return { suspectId, changed: false, review: suspect.review, findingId: suspect.finding_id };
      let findingId: number | null = null;
      if (decision === 'confirm') {
        const content = suspect.content_id ?? contentId?.trim().toLowerCase();
        if (!content) throw new VigilError('REVIEW_NEEDS_CONTENT', `suspect #${suspectId} is a reported link: choose which title it leaks before confirming it`);
        const rules = await contentRules(lock, content);
        if (!rules) throw new VigilError('REVIEW_NEEDS_CONTENT', `the catalog has no content ${JSON.stringify(content)} to confirm suspect #${suspectId} as`);
        // Without a monitoring job the conservative rules hold: people take down and detect by hand.
        const statuses = initialStatuses(rules.job?.spec ?? {}, rules.content);
        const { finding } = await recordFinding(pool, {
          contentId: content, ...(rules.job ? { monitoringJobId: rules.job.id } : {}), url: suspect.url, normalizedUrl: suspect.normalized_url, host: suspect.host,
          ...(suspect.site_id ? { siteId: suspect.site_id } : {}), ...(suspect.family ? { family: suspect.family } : {}), pageTitle: suspect.page_title,
          source: suspect.source as 'report', score: suspect.score, evidence: { ...suspect.evidence, review: { suspectId, by: by.actor, reporter: suspect.reporter, note: suspect.note } },
          ...statuses,
        }, { actor: by.actor, reason: `confirmed from the review queue (suspect #${suspectId}): ${by.reason}` });
        findingId = finding.id;
      }
      const review: ReviewState = decision === 'confirm' ? 'confirmed' : 'rejected';
      await inTransaction(pool, async (tx) => {
        await tx.query('update suspects set review = $2, decided_by = $3, decided_at = now(), finding_id = $4 where id = $1', [suspectId, review, by.actor, findingId]);
        await appendAudit(tx, by.actor, null, [{
          action: decision === 'confirm' ? 'suspect-confirmed' : 'suspect-rejected', kind: 'Suspect', id: String(suspectId), reason: by.reason,
          details: { url: suspect.url, contentId: suspect.content_id ?? contentId ?? null, findingId },
        }]);
      });
      return { suspectId, changed: true, review, findingId };
    } finally {
      await lock.query('select pg_advisory_unlock($1, $2)', [DECISION_LOCK, suspectId]);
    }
  } finally {
    lock.release();
  }
}

/** Someone who is not a review approver pressed Confirm or Reject: the refusal is audited too. */
export async function recordReviewRefusal(pool: pg.Pool, suspectId: number, decision: Decision, user: string, role: string): Promise<void> {
  await inTransaction(pool, (tx) => appendAudit(tx, user, null, [{
    action: 'review-refused', kind: 'Suspect', id: String(suspectId), reason: `not among the ${role}`, details: { decision },
  }]));
}
