import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox, outboxRows, pruneOutbox, relayOutbox, writeOutbox } from '../../../core/db/outbox.js';
import { inTransaction } from '../../../core/db/transaction.js';
import { findingDetectionJob, findingDetectionJobId, type OutboxJob } from '../../../core/queues.js';
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
});
