import type { Redis } from 'ioredis';
import { reconcileJobId, reconcileTargetKey, type ReconcilePayload, type ReconcileTarget } from '../core/queues.js';

export type { ReconcileTarget };

/** The part of a BullMQ Queue a request uses. */
export interface ReconcileQueue {
  add(name: string, data: ReconcilePayload, opts: { jobId: string; removeOnComplete: { age: number }; removeOnFail: { age: number } }): Promise<unknown>;
}

/** Keep finished jobs a day: enough to read what ran; epochs, not retention, keep requests distinct. */
const KEEP_FINISHED_S = 24 * 3600;

function epochKey(prefix: string, target: ReconcileTarget): string {
  return `${prefix}:reconcile-epoch:${reconcileTargetKey(target)}`;
}

// One pending job per repository and branch (reconcileJobId): the epoch moves on when a run
// starts, so requests made before a run starts collapse into it (it fetches after they were made),
// and a request made once it has started gets a job of its own: no lost update, never more than one
// waiting.

/** Asks for a reconcile of the target's branch head; returns the job id it collapsed into or made. */
export async function requestReconcile(queue: ReconcileQueue, redis: Redis, prefix: string, payload: ReconcilePayload): Promise<string> {
  const epoch = Number(await redis.get(epochKey(prefix, payload))) || 0;
  const jobId = reconcileJobId(payload, epoch);
  await queue.add('reconcile', payload, { jobId, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } });
  return jobId;
}

/**
 * Called by the worker as a run starts, before it fetches: from here on a request makes a new job.
 * A request that read the old epoch was made before this, so the fetch that follows sees its push.
 */
export async function beginReconcileRun(redis: Redis, prefix: string, target: ReconcileTarget): Promise<void> {
  await redis.incr(epochKey(prefix, target));
}
