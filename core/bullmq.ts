import { Queue, UnrecoverableError, type ConnectionOptions, type DefaultJobOptions, type Job } from 'bullmq';
import { isVigilError, type ErrorName } from './errors.js';
import { QUEUES, type QueueName } from './queues.js';
import type { RedisService } from './redis.js';

/** BullMQ's blocking commands need maxRetriesPerRequest: null. */
export function bullConnection(redis: RedisService): ConnectionOptions {
  return { url: redis.url, maxRetriesPerRequest: null };
}

/**
 * Retries for faults that pass: exponential from one second, ten attempts cover about eight and a half
 * minutes of a database or Redis restart. Finished jobs are kept a while for people and for job-id
 * deduplication; failed ones longer, to be looked at.
 */
const RETRIED: DefaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
};

/** Default job options per queue, the one place they are set; a job's own options may add to them. */
export const JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  [QUEUES.reconcile]: RETRIED,
  [QUEUES.monitor]: RETRIED,
  [QUEUES.confirm]: RETRIED,
  // Media jobs are long and costly to repeat: fewer attempts, a longer first wait.
  [QUEUES.embed]: { ...RETRIED, attempts: 3, backoff: { type: 'exponential', delay: 10_000 } },
  [QUEUES.detect]: { ...RETRIED, attempts: 5, backoff: { type: 'exponential', delay: 5000 } },
  [QUEUES.takedown]: RETRIED,
  [QUEUES.revoke]: RETRIED,
  [QUEUES.report]: RETRIED,
  // A person waits on the answer: a few quick attempts, then the failure is told to them.
  [QUEUES.slack]: { ...RETRIED, attempts: 4, backoff: { type: 'exponential', delay: 500 } },
};

/** Every queue is made here so that prefix, connection and job options are the same everywhere. */
export function openQueue(name: QueueName, redis: RedisService, prefix: string): Queue {
  return new Queue(name, { connection: bullConnection(redis), prefix, defaultJobOptions: JOB_OPTIONS[name] });
}

/**
 * Vigil errors that name a fault which can pass (a service down, a site unreachable, a worker
 * stopping): worth another attempt. Every other VigilError names a wrong input, which no retry fixes.
 */
const PASSING_FAULTS: ReadonlySet<ErrorName> = new Set<ErrorName>([
  'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE', 'GIT_FAILED', 'GITHUB_UNAVAILABLE', 'FETCH_FAILED', 'INTERRUPTED',
  'SESSION_CARD_LOOKUP_FAILED', 'SESSION_CARD_BUSY',
]);

/**
 * What BullMQ should do with an error a job threw: a wrong input becomes UnrecoverableError (failed
 * for good, at once); anything else (connection refused, PostgreSQL's 57P01 admin_shutdown or 08006,
 * Redis down, a bug) is thrown as it is and retried with backoff until the attempts run out.
 */
export function jobError(error: unknown): unknown {
  if (isVigilError(error) && !PASSING_FAULTS.has(error.errorName)) {
    const final = new UnrecoverableError(`${error.code}: ${error.message}`);
    final.cause = error;
    return final;
  }
  return error;
}

/** A job processor whose errors are classified by jobError. */
export function classified<P, R>(work: (job: Job<P>) => Promise<R>): (job: Job<P>) => Promise<R> {
  return async (job) => {
    try {
      return await work(job);
    } catch (error) {
      throw jobError(error);
    }
  };
}
