import { createHash } from 'node:crypto';

/**
 * Queue names and payloads. Payloads are small references to rows, never copies of data; job ids
 * derived from them make enqueueing idempotent.
 */
export const QUEUES = {
  reconcile: 'reconcile',
  monitor: 'monitor',
  confirm: 'confirm',
  embed: 'embed',
  detect: 'detect',
  takedown: 'takedown',
  revoke: 'revoke',
  report: 'report',
  /** Slack actions (a button, a command) done after their ack: bot/slack/jobs.ts. */
  slack: 'slack',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * "Look again at this branch": like controller-runtime's Request it carries no state to apply.
 * The worker always fetches and applies the branch head, so a late or repeated push cannot
 * apply an old commit.
 */
export interface ReconcilePayload {
  /** A git URL or local path of the catalog repository (from configuration, never from a webhook). */
  repo: string;
  branch: string;
  /** The commit the triggering push reported; logged as the trigger seen, never checked out. */
  pushedCommit?: string;
  /** Who asked: 'github:push', 'cli', 'schedule'. */
  trigger: string;
}

export interface MonitorPayload {
  monitoringJobId: string;
}

/**
 * One embed (an embed-queue job): an applied EmbedJob by id, or an input with recipients, exactly
 * as `vigil embed` takes them. Paths are relative to the worker's working directory.
 */
export interface EmbedPayload {
  /** An EmbedJob id from the applied catalog. */
  job?: string;
  input?: string;
  /** Recipient names or catalog ids, resolved through the database's allocations. */
  recipients?: string[];
  /** Raw watermark IDs; each must be allocated unless `unallocatedLab` is set. */
  ids?: number[];
  outDir?: string;
  /** Output name pattern. */
  output?: string;
  preset?: string;
  /** Benches and test suites only: take raw IDs nobody was allocated; the ledger records them as unallocated. */
  unallocatedLab?: boolean;
}

/** Detection on a leak file, as `vigil detect` takes it (a detect-queue job). */
export interface DetectPayload {
  leak: string;
  /** The original video or image, for a still. */
  original?: string;
}

/** Watermark detection on a finding's leaked copy (a detect-queue job, named 'finding'). */
export interface FindingDetectionPayload {
  findingId: number;
}

/**
 * One detection job per request: the finding's version once the request set it Downloading (a new
 * finding is version 1). A double request is one job; a Detect after Error or Failed is a new job,
 * not one BullMQ drops as a duplicate of the finished one it still keeps.
 */
export function findingDetectionJobId(findingId: number, version = 1): string {
  return `finding-${findingId}-v${version}`;
}

/** The BullMQ job-scheduler id of a monitoring job: one scheduler per job, so upserts are idempotent. */
export function monitorSchedulerId(monitoringJobId: string): string {
  return `monitoring-job:${monitoringJobId}`;
}

/** Which branch of which repository a reconcile looks at. */
export interface ReconcileTarget {
  repo: string;
  branch: string;
}

/** A short stable name for a repository and branch, for job ids and Redis keys. */
export function reconcileTargetKey(target: ReconcileTarget): string {
  return createHash('sha1').update(`${target.repo}#${target.branch}`).digest('hex').slice(0, 16);
}

/**
 * One pending reconcile job per repository and branch and epoch (reconciler/requests.ts moves the
 * epoch on as a run starts), so requests made before a run collapse into it.
 */
export function reconcileJobId(target: ReconcileTarget, epoch: number): string {
  return `reconcile-${reconcileTargetKey(target)}-${epoch}`;
}

/**
 * A job as the outbox holds it until the relay adds it to its queue: the id is derived from the row
 * it refers to, so adding it twice (a relay that crashed before marking it sent) is harmless.
 */
export interface OutboxJob<P = unknown> {
  queue: QueueName;
  name: string;
  jobId: string;
  payload: P;
  /** ISO time the job is owed for (a BullMQ delayed job); absent means at once. */
  runAt?: string;
}

/** The detect-queue job for a finding's leaked copy: a new finding with automatic detection owes it (version 1), and so does a Detect. */
export function findingDetectionJob(findingId: number, version = 1): OutboxJob<FindingDetectionPayload> {
  return { queue: QUEUES.detect, name: 'finding', jobId: findingDetectionJobId(findingId, version), payload: { findingId } };
}

/** Sending a takedown notice for a finding (a takedown-queue job, named 'finding'). */
export interface TakedownPayload {
  findingId: number;
}

/**
 * The n-th takedown request of a finding (1, 2, …): one job per request, so a double request is one
 * job while a re-request after Failed is a new one that runs again.
 */
export function takedownJobId(findingId: number, request: number): string {
  return `takedown-${findingId}-${request}`;
}

/** The takedown-queue job a 'Takedown requested' finding owes. */
export function takedownJob(findingId: number, request: number): OutboxJob<TakedownPayload> {
  return { queue: QUEUES.takedown, name: 'finding', jobId: takedownJobId(findingId, request), payload: { findingId } };
}

/** The takedown requests of a batch (a takedown-queue job named 'request'): the findings and which request of each it was. */
export interface TakedownRequestPayload {
  findingIds: number[];
}

/**
 * The one takedown-queue job a bulk takedown request owes (actOnFindings with more than one finding
 * changed): the compose pass picks up every finding 'Takedown requested', so the batch needs one job
 * to schedule it, not one per finding. Its id is derived from each finding and its request number
 * (takedownJobId), so the same requests give the same job and a re-request after Failed a new one.
 */
export function takedownRequestJob(requests: readonly { findingId: number; request: number }[]): OutboxJob<TakedownRequestPayload> {
  const ids = requests.map((r) => takedownJobId(r.findingId, r.request)).sort();
  const digest = createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 24);
  return { queue: QUEUES.takedown, name: 'request', jobId: `takedown-request-${digest}`, payload: { findingIds: requests.map((r) => r.findingId) } };
}

/** Sending one composed notice (a takedown-queue job named 'notice'): runners/takedown/worker.ts. */
export interface NoticePayload {
  noticeId: number;
}

/** One job per notice row: the notice is composed once, so its id is its delivery's key. */
export function noticeJob(noticeId: number): OutboxJob<NoticePayload> {
  return { queue: QUEUES.takedown, name: 'notice', jobId: `notice-${noticeId}`, payload: { noticeId } };
}

/**
 * A notice prepared for a site's web form (the form channel sends nothing): the slack-queue job named
 * 'form-notice' posts its text in the finding cards' thread for a person to paste (bot/slack/form-notice.ts).
 * One job per notice, written with the outcome that marked it prepared.
 */
export function formNoticeJob(noticeId: number): OutboxJob<NoticePayload> {
  return { queue: QUEUES.slack, name: 'form-notice', jobId: `form-notice-${noticeId}`, payload: { noticeId } };
}

/**
 * The n-th re-check (1, 2, …) of the links a sent notice lists (a takedown-queue job named 'recheck'):
 * one job per notice and check, not per link. The job checks every finding of the notice still In
 * Progress in the takedown the notice started, and owes check n + 1 for those still undecided.
 */
export interface RecheckPayload {
  noticeId: number;
  check: number;
}

/**
 * One job per notice and re-check, owed at `runAt`: a re-check written twice is one job. A notice is
 * sent once, so its id also names the takedown round of each finding it moved to In Progress.
 */
export function recheckJob(noticeId: number, check: number, runAt: Date): OutboxJob<RecheckPayload> {
  return { queue: QUEUES.takedown, name: 'recheck', jobId: `recheck-notice-${noticeId}-${check}`, payload: { noticeId, check }, runAt: runAt.toISOString() };
}

/** What a person may do to a finding from Slack: a card's button, or /vigil takedown|ignore|detect. */
export const FINDING_ACTIONS = ['takedown', 'ignore', 'detect'] as const;
export type FindingAction = (typeof FINDING_ACTIONS)[number];

/**
 * A person's action on a finding (a slack-queue job named 'finding-action'), acknowledged in Slack
 * at once and done by the job: who asked, where to answer, and what they confirmed.
 */
export interface FindingActionPayload {
  findingId: number;
  action: FindingAction;
  /** Take down watermarked content before detection completed: the person confirmed the override dialog. */
  override: boolean;
  /** The Slack user id of the person. */
  user: string;
  /** Where the card or the command was: ephemeral answers go there. */
  channel: string;
  /** The card's message, when the action came from its button. */
  messageTs?: string;
  responseUrl?: string;
  via: 'button' | 'command';
  /**
   * What makes one request unique: the card version the button was on, or the slash command's
   * trigger id. A double click or a retry of the same request carries the same key.
   */
  requestKey: string;
}

/** One job per person, finding, action and request: a double click or Slack's retry adds nothing. */
export function findingActionJobId(p: Pick<FindingActionPayload, 'findingId' | 'action' | 'user' | 'requestKey'>): string {
  // BullMQ job ids may not hold ':'.
  return `finding-action-${p.findingId}-${p.action}-${p.user}-${p.requestKey.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** Detection on a link a person gave (a detect-queue job named 'url'): the request row says which and where to answer. */
export interface LinkDetectionPayload {
  requestId: number;
}

/** The detect-queue job for a detection request on a link, written with the request. */
export function linkDetectionJob(requestId: number): OutboxJob<LinkDetectionPayload> {
  return { queue: QUEUES.detect, name: 'url', jobId: `url-${requestId}`, payload: { requestId } };
}

/** The slack-queue job that posts a link detection's result where it was asked for, written with the result. */
export function detectionResultJob(requestId: number): OutboxJob<LinkDetectionPayload> {
  return { queue: QUEUES.slack, name: 'detection-result', jobId: `detection-result-${requestId}`, payload: { requestId } };
}

/** A reviewer's Confirm or Reject on a suspect (a slack-queue job named 'review-decision'). */
export interface ReviewDecisionPayload {
  suspectId: number;
  decision: 'confirm' | 'reject';
  /** The content chosen for a reported link (the review message's content menu). */
  contentId?: string;
  user: string;
  channel: string;
  responseUrl?: string;
  /** The click's action_ts: a retry of the same click carries the same key. */
  requestKey: string;
}

export function reviewDecisionJobId(p: Pick<ReviewDecisionPayload, 'suspectId' | 'decision' | 'user' | 'requestKey'>): string {
  return `review-decision-${p.suspectId}-${p.decision}-${p.user}-${p.requestKey.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** An Ignore taught the allow-list: open a catalog pull request adding the host as a legitimate Site (a slack-queue job). */
export interface AllowListProposalPayload {
  host: string;
}

/** One job per host: many Ignores of one host make one proposal (bot/slack/allow-list.ts). */
export function allowListProposalJob(host: string): OutboxJob<AllowListProposalPayload> {
  return { queue: QUEUES.slack, name: 'allow-list-proposal', jobId: `allow-list-${host.replace(/[^A-Za-z0-9._-]/g, '_')}`, payload: { host } };
}

/**
 * An evidence pack asked for from a finding card's Evidence button (a slack-queue job named
 * 'evidence'): bot/slack/evidence.ts builds it and uploads it to the card's thread.
 */
export interface EvidencePayload {
  findingId: number;
  /** The card version the button was on. */
  version: number;
  /** The Slack user id of the person who asked. */
  user: string;
  /** Where the card was: ephemeral answers go there, and the pack too when the card has no record of its thread. */
  channel: string;
  messageTs?: string;
  threadTs?: string;
  responseUrl?: string;
}

/** One pack per finding and card version: a double click, a retry or a second person's click on the same card adds nothing. */
export function evidenceJobId(p: Pick<EvidencePayload, 'findingId' | 'version'>): string {
  return `evidence-${p.findingId}-v${p.version}`;
}

/**
 * A re-stream traced to a streaming session whose Policy does not revoke automatically: the
 * slack-queue job 'session-card' posts a card with a Revoke button for a revoke approver
 * (bot/slack/session-card.ts). What the card shows is read from the session's row; the payload
 * carries only what the detection saw.
 */
export interface SessionCardPayload {
  sessionId: string;
  /** The Policy's channel for it (channels.alerts, else channels.findings). */
  channel: string;
  /** The recording's file name, as the detection read it. */
  recording: string;
  watermarkId: number;
  /** Marked segments read, and seconds of recording analysed. */
  segments: number;
  seconds: number;
}

/** One card per session and channel: the same session traced twice is one card. */
export function sessionCardJob(payload: SessionCardPayload): OutboxJob<SessionCardPayload> {
  return { queue: QUEUES.slack, name: 'session-card', jobId: `session-card-${payload.sessionId}-${payload.channel.replace(/[^A-Za-z0-9._-]/g, '_')}`, payload };
}

/** A click on a session card's Revoke button (a slack-queue job named 'session-revoke'). */
export interface SessionRevokePayload {
  sessionId: string;
  user: string;
  channel: string;
  /** The card, edited in place once the session is revoked. */
  messageTs?: string;
  responseUrl?: string;
  /** The click's action_ts: a retry of the same click carries the same key. */
  requestKey: string;
  /** What the card showed (its button's value), to show again when it is edited. */
  card: Omit<SessionCardPayload, 'channel'>;
}

export function sessionRevokeJobId(p: Pick<SessionRevokePayload, 'sessionId' | 'user' | 'requestKey'>): string {
  return `session-revoke-${p.sessionId}-${p.user}-${p.requestKey.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
