/** Every status a person sees is one of a closed set, defined once here and mirrored by CHECK constraints. */

export const TAKEDOWN_STATUSES = ['Available', 'Takedown requested', 'In Progress', 'Complete', 'Ignore', 'Failed'] as const;
export type TakedownStatus = (typeof TAKEDOWN_STATUSES)[number];

export const DETECTION_STATUSES = [
  'Available', 'Not Available', 'Downloading', 'Detecting', 'Completed', 'Canceled', 'Error', 'Failed',
] as const;
export type DetectionStatus = (typeof DETECTION_STATUSES)[number];

export const MONITORING_JOB_STATUSES = ['Scheduled', 'Monitoring', 'Stopped', 'Registration Failed'] as const;
export type MonitoringJobStatus = (typeof MONITORING_JOB_STATUSES)[number];

/** SQL literal list for a CHECK constraint, e.g. ('A', 'B'). */
export function sqlValueList(values: readonly string[]): string {
  return `(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`;
}
