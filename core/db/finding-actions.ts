import type pg from 'pg';
import type { PoolClient } from 'pg';
import { findingDetectionJob, takedownJob, type FindingAction, type OutboxJob } from '../queues.js';
import type { DetectionStatus, TakedownStatus } from '../status.js';
import { proposeAllowListOnIgnore } from './allow-list-proposals.js';
import { appendAudit } from './audit.js';
import { changeFindingStatus, findingById, type Change, type Finding, type StatusChange } from './findings.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * What a person's action on a finding (Take down, Ignore, Detect: a Slack button, a slash command,
 * the CLI) does, decided by one pure rule, and done in one transaction with its status change,
 * its follow-up job and its audit rows. The rule runs on the locked row, so two people clicking at
 * once change the finding once: the second sees the first's change and is told who made it.
 */

/** What the rule reads of a finding. */
export type ActionSubject = Pick<Finding, 'id' | 'version' | 'takedownStatus' | 'detectionStatus'>;

/** What the rule reads of the finding's content. */
export interface ActionContent {
  watermarked: boolean;
}

export type ActionRule =
  | { do: StatusChange; jobs: OutboxJob[] }
  | { unchanged: string }
  | { refused: string };

/** What the rule needs to know of the past: how many takedowns were requested for the finding before. */
export interface ActionHistory {
  takedownRequests: number;
}

/** Statuses at which a takedown is already asked for or done: asking again changes nothing. */
const TAKEDOWN_UNDER_WAY: readonly TakedownStatus[] = ['Takedown requested', 'In Progress', 'Complete'];
const DETECTION_UNDER_WAY: readonly DetectionStatus[] = ['Downloading', 'Detecting'];

/**
 * Whether a takedown of this finding must be confirmed as an override: takedown destroys the copy
 * that watermark detection needs, so a watermarked title is detected first unless a person says
 * otherwise. Detection that completed (or has no copy to work on) leaves nothing to lose.
 * Cards read this too, to choose which Take down button (and confirm dialog) to show.
 */
export function takedownNeedsOverride(finding: Pick<Finding, 'detectionStatus'>, content: ActionContent): boolean {
  return content.watermarked && !DETECTION_ENDED.includes(finding.detectionStatus);
}

/**
 * The states in which detection has ended, completed or declined: a mark found (Completed), none
 * (Failed), the copy not detectable or the detector giving up (Error), stopped (Canceled), or no
 * copy to work on (Not Available). From any of them a takedown loses nothing detection still needs.
 */
export const DETECTION_ENDED: readonly DetectionStatus[] = ['Completed', 'Failed', 'Error', 'Canceled', 'Not Available'];

/** Whether Detect can do anything for this finding: a watermark to look for and a copy still up. */
export function detectionPossible(finding: Pick<Finding, 'takedownStatus'>, content: ActionContent): boolean {
  return content.watermarked && finding.takedownStatus !== 'Complete';
}

export function whatActionDoes(finding: ActionSubject, content: ActionContent, action: FindingAction, override: boolean, history: ActionHistory = { takedownRequests: 0 }): ActionRule {
  switch (action) {
    case 'takedown':
      if (TAKEDOWN_UNDER_WAY.includes(finding.takedownStatus)) return { unchanged: `already ${finding.takedownStatus}` };
      if (takedownNeedsOverride(finding, content) && !override) {
        return { refused: `the content is watermarked and detection has not completed (detection ${finding.detectionStatus}): a takedown destroys the copy detection needs; detect first, or take down with the override` };
      }
      return { do: { takedown: 'Takedown requested' }, jobs: [takedownJob(finding.id, history.takedownRequests + 1)] };
    case 'ignore':
      if (finding.takedownStatus === 'Ignore') return { unchanged: 'already Ignore' };
      // A requested takedown whose notice has not gone out can still be stopped (a false positive
      // that automatic takedown requested): the takedown job sends only while the finding is
      // 'Takedown requested', moving it to In Progress under the row lock. Once sent, it is too late.
      if (finding.takedownStatus === 'In Progress' || finding.takedownStatus === 'Complete') {
        return { refused: `a takedown notice has already gone out (${finding.takedownStatus}); it cannot be ignored now` };
      }
      return { do: { takedown: 'Ignore' }, jobs: [] };
    case 'detect':
      if (!content.watermarked) return { refused: 'the content is not watermarked: there is no watermark to detect' };
      if (finding.takedownStatus === 'Complete') return { refused: 'the link is already down (takedown Complete): there is no copy left to detect in' };
      if (DETECTION_UNDER_WAY.includes(finding.detectionStatus)) return { unchanged: `detection already under way (${finding.detectionStatus})` };
      if (finding.detectionStatus === 'Completed') return { unchanged: 'detection already Completed' };
      // The change bumps the version by one (it moves the detection status): the job is named for the request.
      return { do: { detection: 'Downloading' }, jobs: [findingDetectionJob(finding.id, finding.version + 1)] };
  }
}

/** Who set a finding's status as it is now, from the audit log. */
export interface StatusSetBy {
  actor: string;
  at: Date;
  /** The request that set it, when an action did (ActionBy.request). */
  request?: string;
}

export type ActionOutcome =
  | { outcome: 'done'; action: FindingAction; finding: Finding; from: StatusPair; to: StatusPair }
  | { outcome: 'unchanged'; action: FindingAction; finding: Finding; why: string; by: StatusSetBy | undefined }
  | { outcome: 'refused'; action: FindingAction; finding: Finding; why: string }
  | { outcome: 'unknown'; action: FindingAction; findingId: number };

export interface StatusPair {
  takedown: TakedownStatus;
  detection: DetectionStatus;
}

export interface ActionBy extends Change {
  /** The person confirmed the override dialog (take down watermarked content before detection completed). */
  override: boolean;
  /** Where the action came from, kept in the audit rows (e.g. 'slack-button', 'slack-command', 'cli'). */
  via?: string;
  /**
   * What identifies this one request (e.g. the Slack job's id), kept in the audit rows: the same
   * request done again (a job retried after its answer failed) appends nothing more, and its outcome
   * says it was this request that made the change.
   */
  request?: string;
}

type Queryable = Pick<PoolClient, 'query'>;

/** Whether the finding's content is watermarked, by its applied Content (a retired one keeps its last spec). */
async function contentOf(db: Queryable, contentId: string): Promise<ActionContent> {
  const { rows } = await db.query<{ watermarked: boolean | null }>(
    `select (spec->>'watermarked')::boolean as watermarked from catalog_objects where kind = 'Content' and id = $1 order by deleted_at nulls first limit 1`, [contentId]);
  return { watermarked: rows[0]?.watermarked === true };
}

async function takedownRequests(db: Queryable, findingId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from audit_log where object_kind = 'Finding' and object_id = $1 and action = 'takedown-status' and details->>'to' = 'Takedown requested'`,
    [String(findingId)]);
  return rows[0]?.n ?? 0;
}

/** The audit row that set the status an action found already set: "already done by X at T". */
async function statusSetBy(db: Queryable, finding: Finding, action: FindingAction): Promise<StatusSetBy | undefined> {
  const [auditAction, status] = action === 'detect' ? ['detection-status', finding.detectionStatus] : ['takedown-status', finding.takedownStatus];
  const { rows } = await db.query<{ actor: string; at: Date; request: string | null }>(
    `select actor, at, details->>'request' as request from audit_log where object_kind = 'Finding' and object_id = $1 and action = $2 and details->>'to' = $3 order by id desc limit 1`,
    [String(finding.id), auditAction, status]);
  const row = rows[0];
  return row ? { actor: row.actor, at: row.at, ...(row.request === null ? {} : { request: row.request }) } : undefined;
}

/** Whether this request already left its audit row on the finding (it is being done again). */
async function alreadyAudited(db: Queryable, findingId: number, request: string | undefined): Promise<boolean> {
  if (request === undefined) return false;
  const { rows } = await db.query(`select 1 from audit_log where object_kind = 'Finding' and object_id = $1 and details->>'request' = $2 limit 1`, [String(findingId), request]);
  return rows.length > 0;
}

const pair = (f: Finding): StatusPair => ({ takedown: f.takedownStatus, detection: f.detectionStatus });

/**
 * Does a person's action on a finding, in one transaction: the finding is locked, the rule applied
 * to it as it is now, and its statuses changed through changeFindingStatus (which audits each one,
 * with the action, override and origin in the details) together with the follow-up job in the
 * outbox. An action that changes nothing or is refused is audited too, so the log holds every
 * action a person took. Idempotent by the rule: doing it again finds the change already made.
 */
export async function actOnFinding(pool: pg.Pool, findingId: number, action: FindingAction, by: ActionBy): Promise<ActionOutcome> {
  return inTransaction(pool, async (tx) => {
    // Lock before reading: the rule must see the row as no one else can change it until commit.
    const { rows } = await tx.query<{ id: number }>('select id from findings where id = $1 for update', [findingId]);
    if (!rows[0]) return { outcome: 'unknown', action, findingId };
    const finding = (await findingById(tx, findingId))!;
    const content = await contentOf(tx, finding.contentId);
    const history = { takedownRequests: action === 'takedown' ? await takedownRequests(tx, findingId) : 0 };
    const rule = whatActionDoes(finding, content, action, by.override, history);
    const details = { action, override: by.override, ...(by.via === undefined ? {} : { via: by.via }), ...(by.request === undefined ? {} : { request: by.request }) };
    if ('do' in rule) {
      const { before, after } = await changeFindingStatus(tx, findingId, rule.do, { actor: by.actor, reason: by.reason }, details);
      await writeOutbox(tx, rule.jobs);
      // An Ignore teaches the allow-list: a host that is no catalog Site yet is proposed for it.
      if (action === 'ignore') await proposeAllowListOnIgnore(tx, after, { actor: by.actor, reason: by.reason });
      return { outcome: 'done', action, finding: after, from: pair(before), to: pair(after) };
    }
    const why = 'unchanged' in rule ? rule.unchanged : rule.refused;
    if (!(await alreadyAudited(tx, findingId, by.request))) await appendAudit(tx, by.actor, null, [{
      action: 'unchanged' in rule ? 'finding-action-unchanged' : 'finding-action-refused', kind: 'Finding', id: String(findingId), reason: by.reason, details: { ...details, why },
    }]);
    if ('unchanged' in rule) return { outcome: 'unchanged', action, finding, why, by: await statusSetBy(tx, finding, action) };
    return { outcome: 'refused', action, finding, why };
  });
}

export interface Refusal {
  actor: string;
  action: FindingAction;
  findingId: number;
  /** Why the person may not: the role needed, as they were told. */
  reason: string;
  /** As ActionBy.request: the same request refused again is audited once. */
  request?: string;
}

/** Audits an action a person was not allowed to take (not an approver for it). */
export async function auditRefusal(pool: pg.Pool, refusal: Refusal): Promise<void> {
  await inTransaction(pool, async (tx) => {
    if (await alreadyAudited(tx, refusal.findingId, refusal.request)) return;
    await appendAudit(tx, refusal.actor, null, [{
      action: 'slack-action-refused', kind: 'Finding', id: String(refusal.findingId), reason: refusal.reason,
      details: { action: refusal.action, ...(refusal.request === undefined ? {} : { request: refusal.request }) },
    }]);
  });
}

/**
 * A watermarked finding whose monitoring job takes down automatically was held at Available until
 * detection ended (initialStatuses): once detection ends in any final state, completed or declined
 * (DETECTION_ENDED: Completed, Failed, Error, Canceled, Not Available), the held takedown is
 * requested, by automation and through the same rule as a person's. Nothing for a manual job, or a
 * finding someone already acted on. Undefined when there was nothing to do.
 */
export async function takedownHeldForDetection(pool: pg.Pool, findingId: number): Promise<ActionOutcome | undefined> {
  const { rows } = await pool.query<{ takedown: string }>(
    `select j.takedown from findings f join monitoring_jobs j on j.id = f.monitoring_job_id
     where f.id = $1 and f.takedown_status = 'Available' and f.detection_status = any($2::text[])`, [findingId, DETECTION_ENDED]);
  if (rows[0]?.takedown !== 'automatic') return undefined;
  return actOnFinding(pool, findingId, 'takedown', { actor: 'automation', reason: "automatic takedown once detection ended (the monitoring job's takedown: automatic)", override: false });
}
