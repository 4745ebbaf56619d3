import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { bullConnection, classified } from '../../core/bullmq.js';
import { VigilError } from '../../core/errors.js';
import { QUEUES } from '../../core/queues.js';
import { redactedMessage } from '../../core/redact.js';
import type { RedisService } from '../../core/redis.js';
import { FINDING_ACTION_JOB, processFindingAction } from './actions.js';
import { ALLOW_LIST_JOB, processAllowListProposal } from './allow-list.js';
import type { SlackDeps } from './deps.js';
import { failureText, postResponse } from './ephemeral.js';
import { processDetectionResult } from './detection-result.js';
import { EVIDENCE_JOB, processEvidence } from './evidence.js';
import { FORM_NOTICE_JOB, processFormNotice } from './form-notice.js';
import { processRegister } from './register.js';
import { processReviewDecision } from './review.js';
import { processSessionCard, processSessionRevoke, SESSION_CARD_JOB, SESSION_REVOKE_JOB } from './session-card.js';

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
  [ALLOW_LIST_JOB]: processAllowListProposal,
  [EVIDENCE_JOB]: processEvidence,
  [FORM_NOTICE_JOB]: processFormNotice,
  [SESSION_CARD_JOB]: processSessionCard,
  [SESSION_REVOKE_JOB]: processSessionRevoke,
};

/** Whether BullMQ will try this job again: a wrong input fails at once, anything else until its attempts run out. */
function isFinal(job: Job, error: Error): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** Who asked for a job, as the slack-queue payloads name them. */
function askerOf(data: unknown): { user?: string; channel?: string; responseUrl?: string } {
  if (typeof data !== 'object' || data === null) return {};
  const { user, channel, responseUrl } = data as Record<string, unknown>;
  return {
    ...(typeof user === 'string' ? { user } : {}), ...(typeof channel === 'string' ? { channel } : {}), ...(typeof responseUrl === 'string' ? { responseUrl } : {}),
  };
}

/**
 * A request that failed for good is told to the person who made it, never left unanswered: through
 * its response_url, else privately in its channel, else in a direct message.
 */
async function tellWhoAsked(deps: SlackDeps, job: Job, error: Error): Promise<void> {
  const asker = askerOf(job.data);
  const cause = error.cause ?? error;
  const text = `${failureText(cause, deps.log, { jobId: job.id, name: job.name })}\n(request ${job.name} ${job.id ?? ''}, given up after ${job.attemptsMade} attempt(s))`;
  try {
    if (asker.responseUrl) await postResponse(asker.responseUrl, { text });
    else if (asker.user && asker.channel) await deps.client.chat.postEphemeral({ channel: asker.channel, user: asker.user, text });
    else if (asker.user) await deps.client.chat.postMessage({ channel: asker.user, text });
  } catch (tellError) {
    deps.log.warn({ jobId: job.id, err: { message: redactedMessage(tellError) } }, 'could not tell the person that their slack request failed');
  }
}

export function startSlackWorker(deps: SlackDeps, redis: RedisService, prefix: string, jobs: Readonly<Record<string, SlackJobProcessor>> = SLACK_JOBS): Worker {
  const worker = new Worker(QUEUES.slack, classified(async (job: Job) => {
    const process = jobs[job.name];
    if (!process) throw new VigilError('JOB_PAYLOAD_INVALID', `the slack queue has no job named ${JSON.stringify(job.name)}; known: ${Object.keys(jobs).join(', ') || 'none'}`);
    return process(job, deps);
  }), { connection: bullConnection(redis), prefix, concurrency: 8 });
  worker.on('failed', (job, error) => {
    deps.log.warn({ jobId: job?.id, name: job?.name, attempt: job?.attemptsMade, err: { message: error.message } }, 'slack job failed');
    if (job && isFinal(job, error)) void tellWhoAsked(deps, job, error);
  });
  worker.on('error', (error) => deps.log.warn({ err: { message: error.message } }, 'slack worker error'));
  return worker;
}
