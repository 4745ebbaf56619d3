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
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface ReconcilePayload {
  /** A git URL or local path of the catalog repository. */
  repo: string;
  branch: string;
  /** The commit that triggered this reconcile (from a push), if known. */
  commit?: string;
  /** Who asked: 'github:push', 'cli', 'schedule'. */
  trigger: string;
}

export interface MonitorPayload {
  monitoringJobId: string;
}

/** Watermark detection on a finding's leaked copy (a detect-queue job, named 'finding'). */
export interface FindingDetectionPayload {
  findingId: number;
}

/** One detection per finding at a time: a second request for the same finding is the same job. */
export function findingDetectionJobId(findingId: number): string {
  return `finding-${findingId}`;
}

/** The BullMQ job-scheduler id of a monitoring job: one scheduler per job, so upserts are idempotent. */
export function monitorSchedulerId(monitoringJobId: string): string {
  return `monitoring-job:${monitoringJobId}`;
}

/** Same commit, same job: GitHub re-deliveries (and retries) enqueue nothing new. */
export function reconcileJobId(repositoryId: number, commit: string): string {
  return `github-push-${repositoryId}-${commit}`;
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
}

/** The detect-queue job for a finding's leaked copy, as a new finding with automatic detection owes it. */
export function findingDetectionJob(findingId: number): OutboxJob<FindingDetectionPayload> {
  return { queue: QUEUES.detect, name: 'finding', jobId: findingDetectionJobId(findingId), payload: { findingId } };
}
