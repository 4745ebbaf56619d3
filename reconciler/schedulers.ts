import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { JOB_OPTIONS } from '../core/bullmq.js';
import { appendAudit } from '../core/db/audit.js';
import type { Logger } from '../core/log.js';
import { monitorSchedulerId, QUEUES, type MonitorPayload } from '../core/queues.js';
import type { DesiredJob } from './desired.js';

/** Where monitoring jobs run on their schedules; BullMQ in production, anything with this shape in principle. */
export interface JobSchedulers {
  /** Ids of every scheduler that exists now. */
  list(): Promise<Set<string>>;
  register(job: Pick<DesiredJob, 'id' | 'startDate' | 'stopDate' | 'everyMs'>): Promise<void>;
  unregister(jobId: string): Promise<void>;
}

const DAY_MS = 86_400_000;

/** BullMQ job schedulers on the monitor queue: one per monitoring job, upserted by id, so repeats are harmless. */
export function bullmqSchedulers(monitorQueue: Queue): JobSchedulers {
  return {
    async list() {
      const ids = new Set<string>();
      const pageSize = 1000;
      for (let start = 0; ; start += pageSize) {
        const page = await monitorQueue.getJobSchedulers(start, start + pageSize - 1, true);
        for (const scheduler of page) ids.add(scheduler.key);
        if (page.length < pageSize) break;
      }
      return ids;
    },
    async register(job) {
      const startDate = Date.parse(`${job.startDate}T00:00:00Z`);
      const endDate = job.stopDate ? Date.parse(`${job.stopDate}T00:00:00Z`) + DAY_MS : undefined;
      const data: MonitorPayload = { monitoringJobId: job.id };
      await monitorQueue.upsertJobScheduler(
        monitorSchedulerId(job.id),
        { every: job.everyMs, startDate, ...(endDate === undefined ? {} : { endDate }) },
        // Jobs a scheduler makes take the queue's options (attempts, backoff) from the one table.
        { name: 'monitor', data, opts: JOB_OPTIONS[QUEUES.monitor] },
      );
    },
    async unregister(jobId) {
      await monitorQueue.removeJobScheduler(monitorSchedulerId(jobId));
    },
  };
}

/**
 * Re-registers the scheduler of every active monitoring job (Scheduled or Monitoring in the
 * database) that Redis no longer has, as after a Redis restart without persistence or a FLUSHALL.
 * The database is the record; Redis only holds work in flight. Returns the job ids restored.
 */
export async function restoreSchedulers(pool: Pool, schedulers: JobSchedulers): Promise<string[]> {
  const { rows } = await pool.query<{ id: string; start_date: string; stop_date: string | null; every_ms: number }>(
    `select id, start_date, stop_date, every_ms from monitoring_jobs where status in ('Scheduled', 'Monitoring') order by id`);
  if (rows.length === 0) return [];
  const present = await schedulers.list();
  const missing = rows.filter((r) => !present.has(monitorSchedulerId(r.id)));
  for (const r of missing) await schedulers.register({ id: r.id, startDate: r.start_date, stopDate: r.stop_date, everyMs: r.every_ms });
  if (missing.length > 0) {
    await appendAudit(pool, 'reconciler', null, missing.map((r) => ({
      action: 'repair', kind: 'MonitoringJob', id: r.id, reason: 'job scheduler missing from Redis; restored from the database', details: {},
    })));
  }
  return missing.map((r) => r.id);
}

export interface SchedulerWatch {
  stop(): Promise<void>;
}

/**
 * Keeps schedulers restored: once at start, whenever the Redis connection becomes ready again (a
 * restarted server may come back empty), and every `intervalMs` (a FLUSHALL leaves the connection up).
 */
export function watchSchedulers(deps: { pool: Pool; schedulers: JobSchedulers; redis: Redis; log: Logger; intervalMs?: number }): SchedulerWatch {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const check = (why: string): void => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const restored = await restoreSchedulers(deps.pool, deps.schedulers);
        if (restored.length > 0) deps.log.warn({ restored, why }, 'job schedulers restored from the database');
      } catch (error) {
        deps.log.warn({ err: error, why }, 'could not check job schedulers; trying again later');
      }
    });
  };
  const onReady = (): void => check('redis reconnected');
  deps.redis.on('ready', onReady);
  const timer = setInterval(() => check('periodic check'), deps.intervalMs ?? 60_000);
  check('start');
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      deps.redis.off('ready', onReady);
      await running;
    },
  };
}
