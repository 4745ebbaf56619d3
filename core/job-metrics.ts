import type { Job, Worker } from 'bullmq';
import { jobDuration, jobFailures } from './metrics.js';

/** Whether a failed job will not run again: BullMQ's UnrecoverableError, or its attempts spent. */
export function failedForGood(job: Pick<Job, 'attemptsMade' | 'opts'>, error: Error): boolean {
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

function seconds(job: Pick<Job, 'processedOn' | 'finishedOn'>): number | undefined {
  if (job.processedOn === undefined) return undefined;
  return Math.max(0, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
}

/** Counts every job a worker finishes, by queue: its duration and, for a failure, whether it was final. */
export function observeJobs(worker: Worker): void {
  const queue = worker.name;
  worker.on('completed', (job) => {
    const s = seconds(job);
    if (s !== undefined) jobDuration.observe({ queue, outcome: 'completed' }, s);
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const s = seconds(job);
    if (s !== undefined) jobDuration.observe({ queue, outcome: 'failed' }, s);
    jobFailures.inc({ queue, final: String(failedForGood(job, error)) });
  });
}
