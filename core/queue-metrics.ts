import type { Queue } from 'bullmq';
import { scrapeSources, type QueueSample } from './metrics.js';

/** The states a dashboard shows; `completed` is left out, it only counts what BullMQ still keeps. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/**
 * One queue's depths and the age of its oldest waiting job: two small Redis reads (the counts,
 * then the tail of the wait list and that job's hash), cheap enough for every scrape.
 */
export async function sampleQueue(queue: Queue, now = Date.now()): Promise<QueueSample> {
  const counts = await queue.getJobCounts(...QUEUE_STATES);
  // The wait list is pushed at its head, so ascending order from 0 is the job waiting longest.
  const [oldest] = counts.waiting ? await queue.getJobs(['wait'], 0, 0, true) : [];
  const oldestWaitingSeconds = oldest ? Math.max(0, (now - oldest.timestamp) / 1000) : 0;
  return { queue: queue.name, counts, oldestWaitingSeconds };
}

/** Has every scrape of this process read these queues' depths; the returned function stops it. */
export function watchQueueDepths(queues: readonly Queue[]): () => void {
  const read = (): Promise<QueueSample[]> => Promise.all(queues.map((q) => sampleQueue(q)));
  scrapeSources.queues.add(read);
  return () => scrapeSources.queues.delete(read);
}
