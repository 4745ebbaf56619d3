import { Worker, type Job } from 'bullmq';
import { bullConnection, classified } from '../../core/bullmq.js';
import { VigilError } from '../../core/errors.js';
import { QUEUES } from '../../core/queues.js';
import type { RedisService } from '../../core/redis.js';
import { FINDING_ACTION_JOB, processFindingAction } from './actions.js';
import type { SlackDeps } from './deps.js';
import { processDetectionResult } from './detection-result.js';
import { processRegister } from './register.js';
import { processReviewDecision } from './review.js';

/**
 * The slack queue's worker: what a person asked for in Slack (a button, a command, a modal) is
 * acknowledged at once and done here, by job name. Each part of the bot adds its processors to
 * SLACK_JOBS.
 */

export type SlackJobProcessor = (job: Job, deps: SlackDeps) => Promise<unknown>;

export const SLACK_JOBS: Readonly<Record<string, SlackJobProcessor>> = {
  [FINDING_ACTION_JOB]: processFindingAction,
  'review-decision': processReviewDecision,
  'detection-result': processDetectionResult,
  register: processRegister,
};

export function startSlackWorker(deps: SlackDeps, redis: RedisService, prefix: string, jobs: Readonly<Record<string, SlackJobProcessor>> = SLACK_JOBS): Worker {
  const worker = new Worker(QUEUES.slack, classified(async (job: Job) => {
    const process = jobs[job.name];
    if (!process) throw new VigilError('JOB_PAYLOAD_INVALID', `the slack queue has no job named ${JSON.stringify(job.name)}; known: ${Object.keys(jobs).join(', ') || 'none'}`);
    return process(job, deps);
  }), { connection: bullConnection(redis), prefix, concurrency: 8 });
  worker.on('failed', (job, error) => deps.log.warn({ jobId: job?.id, name: job?.name, err: { message: error.message } }, 'slack job failed'));
  worker.on('error', (error) => deps.log.warn({ err: { message: error.message } }, 'slack worker error'));
  return worker;
}
