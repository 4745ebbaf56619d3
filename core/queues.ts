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
