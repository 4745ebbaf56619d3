import type pg from 'pg';
import type { PoolClient } from 'pg';
import { findingDetectionJob, takedownJob, takedownRequestJob, type FindingAction, type OutboxJob } from '../queues.js';
import type { DetectionStatus, TakedownStatus } from '../status.js';
import { proposeAllowListOnIgnore } from './allow-list-proposals.js';
import { appendAudit } from './audit.js';
import { changeFindingStatuses, lockFindings, type Change, type Finding, type StatusChange } from './findings.js';
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

/** Whether each content is watermarked, by its applied Content (a retired one keeps its last spec). */
async function contentsOf(db: Queryable, contentIds: readonly string[]): Promise<Map<string, ActionContent>> {
  const { rows } = await db.query<{ id: string; watermarked: boolean | null }>(
    `select distinct on (id) id, (spec->>'watermarked')::boolean as watermarked from catalog_objects
     where kind = 'Content' and id = any($1::text[]) order by id, deleted_at nulls first`, [[...new Set(contentIds)]]);
  return new Map(rows.map((r) => [r.id, { watermarked: r.watermarked === true }]));
}

/** How many takedowns were requested for each finding before (its audit rows), in one grouped query. */
async function takedownRequestCounts(db: Queryable, findingIds: readonly number[]): Promise<Map<number, number>> {
  const { rows } = await db.query<{ id: string; n: number }>(
    `select object_id as id, count(*)::int as n from audit_log where object_kind = 'Finding' and object_id = any($1::text[])
       and action = 'takedown-status' and details->>'to' = 'Takedown requested' group by object_id`,
    [findingIds.map(String)]);
  return new Map(rows.map((r) => [Number(r.id), r.n]));
}

/** The audit rows that set the statuses an action found already set: "already done by X at T", per finding. */
async function statusesSetBy(db: Queryable, findings: readonly Finding[], action: FindingAction): Promise<Map<number, StatusSetBy>> {
  if (findings.length === 0) return new Map();
  const auditAction = action === 'detect' ? 'detection-status' : 'takedown-status';
  const { rows } = await db.query<{ id: string; actor: string; at: Date; request: string | null }>(
    `select distinct on (a.object_id) a.object_id as id, a.actor, a.at, a.details->>'request' as request
     from audit_log a join unnest($1::text[], $2::text[]) as u(id, status) on a.object_id = u.id and a.details->>'to' = u.status
     where a.object_kind = 'Finding' and a.action = $3 order by a.object_id, a.id desc`,
    [findings.map((f) => String(f.id)), findings.map((f) => (action === 'detect' ? f.detectionStatus : f.takedownStatus)), auditAction]);
  return new Map(rows.map((r) => [Number(r.id), { actor: r.actor, at: r.at, ...(r.request === null ? {} : { request: r.request }) }]));
}

/** Which of the findings this request already left its audit row on (it is being done again). */
async function alreadyAuditedOf(db: Queryable, findingIds: readonly number[], request: string | undefined): Promise<Set<number>> {
  if (request === undefined || findingIds.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `select distinct object_id as id from audit_log where object_kind = 'Finding' and object_id = any($1::text[]) and details->>'request' = $2`,
    [findingIds.map(String), request]);
  return new Set(rows.map((r) => Number(r.id)));
}

/** Whether this request already left its audit row on the finding (it is being done again). */
async function alreadyAudited(db: Queryable, findingId: number, request: string | undefined): Promise<boolean> {
  return (await alreadyAuditedOf(db, [findingId], request)).has(findingId);
}

const pair = (f: Finding): StatusPair => ({ takedown: f.takedownStatus, detection: f.detectionStatus });

/**
 * The follow-up jobs a batch owes: each finding's, as the rule says, except that takedowns requested
 * together owe one 'request' job between them (the compose pass reads every requested finding
 * itself; a job per finding would only make a thousand jobs that each say "compose").
 */
function jobsOwed(toDo: readonly { finding: Finding; jobs: OutboxJob[] }[], action: FindingAction, requests: ReadonlyMap<number, number>): OutboxJob[] {
  if (action !== 'takedown' || toDo.length < 2) return toDo.flatMap((d) => d.jobs);
  return [takedownRequestJob(toDo.map((d) => ({ findingId: d.finding.id, request: (requests.get(d.finding.id) ?? 0) + 1 })))];
}

/**
 * Does a person's action on a finding (a Slack click, a command): actOnFindings with one id, so one
 * finding and a thousand are done by the same rule and the same statements.
 */
export async function actOnFinding(pool: pg.Pool, findingId: number, action: FindingAction, by: ActionBy): Promise<ActionOutcome> {
  return (await actOnFindings(pool, [findingId], action, by))[0]!;
}

/**
 * Does an action on many findings (automatic takedown of a round's findings, "take down all", one
 * Slack click) in one transaction, set-based: the findings are locked and read in one statement (in
 * id order, so overlapping calls wait rather than deadlock), the pure rule (whatActionDoes) applied
 * to each as it is now, the changes written by changeFindingStatuses (one UPDATE … WHERE id = ANY,
 * one multi-row audit INSERT with a row per finding), the follow-up jobs by one multi-row outbox
 * INSERT (takedowns requested together: one 'request' job for the batch, jobsOwed). A finding the rule leaves unchanged or refuses gets its own audit row with the why, as a
 * single action would; an unknown id is 'unknown'. Outcomes follow `findingIds`' order. Idempotent
 * by the rule: doing it again finds the changes already made.
 */
export async function actOnFindings(pool: pg.Pool, findingIds: readonly number[], action: FindingAction, by: ActionBy): Promise<ActionOutcome[]> {
  if (findingIds.length === 0) return [];
  const unique = [...new Set(findingIds)].sort((a, b) => a - b);
  const byId = await inTransaction(pool, async (tx) => {
    // Lock before reading: the rule must see the rows as no one else can change them until commit.
    const findings = await lockFindings(tx, unique);
    const outcomes = new Map<number, ActionOutcome>();
    const contents = await contentsOf(tx, findings.map((f) => f.contentId));
    const requests = action === 'takedown' ? await takedownRequestCounts(tx, unique) : new Map<number, number>();
    const details = { action, override: by.override, ...(by.via === undefined ? {} : { via: by.via }), ...(by.request === undefined ? {} : { request: by.request }) };
    const toDo: { finding: Finding; change: StatusChange; jobs: OutboxJob[] }[] = [];
    const notDone: { finding: Finding; why: string; unchanged: boolean }[] = [];
    for (const finding of findings) {
      const rule = whatActionDoes(finding, contents.get(finding.contentId) ?? { watermarked: false }, action, by.override, { takedownRequests: requests.get(finding.id) ?? 0 });
      if ('do' in rule) toDo.push({ finding, change: rule.do, jobs: rule.jobs });
      else notDone.push({ finding, why: 'unchanged' in rule ? rule.unchanged : rule.refused, unchanged: 'unchanged' in rule });
    }
    // One action makes one change (Take down: Takedown requested; Ignore: Ignore; Detect: Downloading); grouped to be safe.
    const groups = new Map<string, { change: StatusChange; ids: number[] }>();
    for (const d of toDo) {
      const key = JSON.stringify(d.change);
      const group = groups.get(key) ?? { change: d.change, ids: [] };
      group.ids.push(d.finding.id);
      groups.set(key, group);
    }
    for (const { change, ids } of groups.values()) {
      for (const { before, after } of await changeFindingStatuses(tx, ids, change, { actor: by.actor, reason: by.reason }, details)) {
        outcomes.set(before.id, { outcome: 'done', action, finding: after, from: pair(before), to: pair(after) });
        // An Ignore teaches the allow-list: a host that is no catalog Site yet is proposed for it.
        if (action === 'ignore') await proposeAllowListOnIgnore(tx, after, { actor: by.actor, reason: by.reason });
      }
    }
    await writeOutbox(tx, jobsOwed(toDo, action, requests));
    const audited = await alreadyAuditedOf(tx, notDone.map((n) => n.finding.id), by.request);
    await appendAudit(tx, by.actor, null, notDone.filter((n) => !audited.has(n.finding.id)).map((n) => ({
      action: n.unchanged ? 'finding-action-unchanged' : 'finding-action-refused', kind: 'Finding', id: String(n.finding.id), reason: by.reason, details: { ...details, why: n.why },
    })));
    const setBy = await statusesSetBy(tx, notDone.filter((n) => n.unchanged).map((n) => n.finding), action);
    for (const n of notDone) {
      outcomes.set(n.finding.id, n.unchanged
        ? { outcome: 'unchanged', action, finding: n.finding, why: n.why, by: setBy.get(n.finding.id) }
        : { outcome: 'refused', action, finding: n.finding, why: n.why });
    }
    return outcomes;
  });
  return findingIds.map((id) => byId.get(id) ?? { outcome: 'unknown', action, findingId: id });
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
