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
