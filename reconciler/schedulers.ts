import type { Queue } from 'bullmq';
import { monitorSchedulerId, type MonitorPayload } from '../core/queues.js';
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
        { name: 'monitor', data, opts: { removeOnComplete: 1000, removeOnFail: 5000 } },
      );
    },
    async unregister(jobId) {
      await monitorQueue.removeJobScheduler(monitorSchedulerId(jobId));
    },
  };
}
