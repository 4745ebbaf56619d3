import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox, outboxRows, pruneOutbox, relayOutbox, writeOutbox } from '../../../core/db/outbox.js';
import { inTransaction } from '../../../core/db/transaction.js';
import { openQueue } from '../../../core/bullmq.js';
import { queueAdder } from '../../../core/relay.js';
import { findingDetectionJob, findingDetectionJobId, QUEUES, recheckJob, type OutboxJob } from '../../../core/queues.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;
beforeAll(async () => (services = await openTestServices()));
afterAll(() => services.close());

describe('the outbox', () => {
  it('keeps jobs only when the transaction that owes them commits, sends them in order, and prunes sent ones', async () => {
    const pool = services.db.pool;
    await expect(inTransaction(pool, async (tx) => {
      await writeOutbox(tx, [findingDetectionJob(1)]);
      throw new Error('the finding could not be written');
    })).rejects.toThrow();
    expect(await outboxRows(pool)).toEqual([]);
    await inTransaction(pool, (tx) => writeOutbox(tx, [findingDetectionJob(2), findingDetectionJob(3)]));
    const sent: OutboxJob[] = [];
    expect(await relayOutbox(pool, async (job) => { sent.push(job); }, 1)).toBe(1);
    expect(await drainOutbox(pool, async (job) => { sent.push(job); })).toBe(1);
    expect(sent.map((j) => j.jobId)).toEqual([findingDetectionJobId(2), findingDetectionJobId(3)]);
    expect(await outboxRows(pool, { unsentOnly: true })).toEqual([]);
    expect(await pruneOutbox(pool, 1)).toBe(0);
    expect(await pruneOutbox(pool, 0)).toBe(2);
  });

  it('relays a job owed for later as a BullMQ delayed job, and one whose time has passed at once', async () => {
    const pool = services.db.pool;
    const later = new Date(Date.now() + 3_600_000);
    await inTransaction(pool, (tx) => writeOutbox(tx, [recheckJob(7, 1, later), recheckJob(8, 1, new Date(Date.now() - 1000))]));
    expect((await outboxRows(pool, { unsentOnly: true })).map((r) => r.runAt)).toEqual([later.toISOString(), expect.any(String)]);
    const queue = openQueue(QUEUES.takedown, services.redis, services.config.queuePrefix);
    try {
      await drainOutbox(pool, queueAdder(async () => queue));
      const delayed = await queue.getJob('recheck-notice-7-1');
      expect(delayed?.opts.delay).toBeGreaterThan(3_590_000);
      expect(await delayed?.getState()).toBe('delayed');
      expect(await (await queue.getJob('recheck-notice-8-1'))?.getState()).toBe('waiting');
    } finally {
      await queue.close();
    }
  });

  it('relays a batch with one addBulk per queue, and a batch relayed again after a crash adds each job once', async () => {
    const pool = services.db.pool;
    await drainOutbox(pool, async () => {});
    const jobs = Array.from({ length: 250 }, (_, i) => recheckJob(1000 + i, 1, new Date(Date.now() - 1000)));
    await inTransaction(pool, (tx) => writeOutbox(tx, jobs));
    const queue = openQueue(QUEUES.takedown, services.redis, services.config.queuePrefix);
    try {
      const add = queueAdder(async () => queue);
      let bulkCalls = 0;
      const bulk = add.bulk!;
      const counted = Object.assign(async (job: OutboxJob) => add(job), { bulk: async (list: readonly OutboxJob[]) => { bulkCalls += 1; await bulk(list); } });
      // Killed after the jobs reached Redis and before the rows were marked sent: the next pass adds them again.
      await expect(relayOutbox(pool, Object.assign(async () => {}, { bulk: async (list: readonly OutboxJob[]) => { await bulk(list); throw new Error('relay killed'); } }))).rejects.toThrow('relay killed');
      expect(await outboxRows(pool, { unsentOnly: true })).toHaveLength(250);
      expect(await relayOutbox(pool, counted)).toBe(250);
      expect(bulkCalls).toBe(1);
      expect(await outboxRows(pool, { unsentOnly: true })).toEqual([]);
      const waiting = await queue.getJobs(['waiting'], 0, 1000);
      const ids = waiting.map((j) => j.id).filter((id) => /^recheck-notice-1\d{3}-1$/.test(id ?? ''));
      expect(ids).toHaveLength(250);
      expect(new Set(ids).size).toBe(250);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
