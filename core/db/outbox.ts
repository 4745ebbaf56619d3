import type { Pool, PoolClient } from 'pg';
import type { OutboxJob, QueueName } from '../queues.js';
import { inTransaction } from './transaction.js';

/**
 * The outbox: follow-up jobs written in the same transaction as the record that owes them (a
 * finding and its detection job), so a crash loses both or neither. A relay moves them to BullMQ.
 */

/** Writes jobs owed by the caller's transaction; they reach their queue when the relay next runs. */
export async function writeOutbox(tx: Pick<PoolClient, 'query'>, jobs: readonly OutboxJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await tx.query(
    `insert into outbox (queue, name, job_id, payload, run_at)
     select r.queue, r.name, r."jobId", r.payload, r."runAt" from jsonb_to_recordset($1::jsonb) as r(queue text, name text, "jobId" text, payload jsonb, "runAt" timestamptz)`,
    [JSON.stringify(jobs)],
  );
}

export interface OutboxRow extends OutboxJob {
  id: number;
  createdAt: Date;
  sentAt: Date | null;
}

/** Outbox rows, oldest first (all, or only those not yet sent). */
export async function outboxRows(db: Pick<Pool, 'query'>, options: { unsentOnly?: boolean } = {}): Promise<OutboxRow[]> {
  const { rows } = await db.query<{ id: number; queue: QueueName; name: string; job_id: string; payload: unknown; run_at: Date | null; created_at: Date; sent_at: Date | null }>(
    `select id, queue, name, job_id, payload, run_at, created_at, sent_at from outbox ${options.unsentOnly ? 'where sent_at is null' : ''} order by id`);
  return rows.map((r) => ({
    id: r.id, queue: r.queue, name: r.name, jobId: r.job_id, payload: r.payload, ...(r.run_at ? { runAt: r.run_at.toISOString() } : {}), createdAt: r.created_at, sentAt: r.sent_at,
  }));
}

/**
 * Adds one job to its queue under its job id; BullMQ ignores an id it already holds. `bulk`, when
 * given, adds many in one round trip per queue (core/relay.ts queueAdder: BullMQ addBulk) and is
 * what the relay uses; ids keep it idempotent the same way.
 */
export type AddJob = ((job: OutboxJob) => Promise<void>) & { bulk?: (jobs: readonly OutboxJob[]) => Promise<void> };

/**
 * Moves up to `batch` unsent rows to their queues (in bulk where `add` can), then marks them sent, in one transaction whose
 * row locks (skip locked) keep relays in other processes off the same rows. A crash after the add
 * and before the commit leaves the rows unsent: the next pass adds the same job ids again, harmlessly.
 * Returns how many rows were sent.
 */
export async function relayOutbox(pool: Pool, add: AddJob, batch = 1000): Promise<number> {
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: number; queue: QueueName; name: string; job_id: string; payload: unknown; run_at: Date | null }>(
      `select id, queue, name, job_id, payload, run_at from outbox where sent_at is null order by id limit $1 for update skip locked`, [batch]);
    const jobs: OutboxJob[] = rows.map((r) => ({ queue: r.queue, name: r.name, jobId: r.job_id, payload: r.payload, ...(r.run_at ? { runAt: r.run_at.toISOString() } : {}) }));
    if (add.bulk) { if (jobs.length > 0) await add.bulk(jobs); } else for (const job of jobs) await add(job);
    if (rows.length > 0) await tx.query('update outbox set sent_at = now() where id = any($1::bigint[])', [rows.map((r) => r.id)]);
    return rows.length;
  });
}

/** Relays until the outbox is empty (what a one-shot command such as vigil scan does before it exits). */
export async function drainOutbox(pool: Pool, add: AddJob): Promise<number> {
  let total = 0;
  for (;;) {
    const sent = await relayOutbox(pool, add);
    total += sent;
    if (sent === 0) return total;
  }
}

/** Deletes rows sent more than `keepDays` ago; they are history BullMQ's own job records already hold. */
export async function pruneOutbox(db: Pick<Pool, 'query'>, keepDays = 7): Promise<number> {
  const { rowCount } = await db.query(`delete from outbox where sent_at < now() - make_interval(days => $1)`, [keepDays]);
  return rowCount ?? 0;
}
