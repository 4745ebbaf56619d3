import type { JobsOptions, Queue } from 'bullmq';
import type { Pool } from 'pg';
import { pruneOutbox, relayOutbox, type AddJob } from './db/outbox.js';
import type { Logger } from './log.js';
import type { OutboxJob, QueueName } from './queues.js';

/**
 * Adds outbox jobs to BullMQ queues, each under its deterministic job id: one at a time, or (`bulk`,
 * what the relay uses) with one addBulk per queue, so a thousand takedown jobs are one round trip.
 */
export function queueAdder(queueOf: (name: QueueName) => Promise<Queue>): AddJob {
  const options = (job: OutboxJob): JobsOptions => {
    const delay = job.runAt === undefined ? 0 : Math.max(0, Date.parse(job.runAt) - Date.now());
    return { jobId: job.jobId, ...(delay > 0 ? { delay } : {}) };
  };
  const add: AddJob = async (job) => {
    const queue = await queueOf(job.queue);
    await queue.add(job.name, job.payload, options(job));
  };
  add.bulk = async (jobs) => {
    const byQueue = new Map<QueueName, OutboxJob[]>();
    for (const job of jobs) {
      const list = byQueue.get(job.queue) ?? [];
      list.push(job);
      byQueue.set(job.queue, list);
    }
    for (const [name, list] of byQueue) {
      const queue = await queueOf(name);
      await queue.addBulk(list.map((job) => ({ name: job.name, data: job.payload, opts: options(job) })));
    }
  };
  return add;
}

const PRUNE_EVERY_MS = 3_600_000;

export interface OutboxRelay {
  /** Resolves once the pass under way (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * The relay every worker process runs: it empties the outbox into BullMQ, then looks again every
 * `intervalMs`. While PostgreSQL or Redis is down a pass fails and is simply tried again later;
 * nothing is lost, since rows stay unsent until a pass commits. Sent rows are pruned after a week.
 */
export function startOutboxRelay(deps: { pool: Pool; add: AddJob; log: Logger; intervalMs?: number }): OutboxRelay {
  const intervalMs = deps.intervalMs ?? 1000;
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let prunedAt = 0;
  const pass = async (): Promise<void> => {
    try {
      while (!stopped && (await relayOutbox(deps.pool, deps.add)) > 0) { /* until empty */ }
      if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
        await pruneOutbox(deps.pool);
        prunedAt = Date.now();
      }
      if (failing) deps.log.info('outbox relay recovered');
      failing = false;
    } catch (error) {
      // One warning per outage, not one per tick.
      if (!failing) deps.log.warn({ err: error }, 'outbox relay pass failed; retrying');
      failing = true;
    }
  };
  const tick = (): void => {
    current = pass().finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
