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
      const delayed = await queue.getJob('recheck-7-1');
      expect(delayed?.opts.delay).toBeGreaterThan(3_590_000);
      expect(await delayed?.getState()).toBe('delayed');
      expect(await (await queue.getJob('recheck-8-1'))?.getState()).toBe('waiting');
    } finally {
      await queue.close();
    }
  });
});
