import type { PoolClient } from 'pg';
import type { MonitoringJobStatus } from '../core/status.js';
import { emptyActualState, type ActualState } from './actual.js';
import type { Kind, Metadata } from '../core/catalog/types.js';
import { objectKey } from './desired.js';
import { contentHash } from './hash.js';

type Queryable = Pick<PoolClient, 'query'>;

/** Reads everything the planner compares against, in three queries. */
export async function loadActualState(db: Queryable): Promise<ActualState> {
  const state = emptyActualState();
  // Sequential on purpose: `db` may be a single client inside the apply transaction.
  const objects = await db.query<{ kind: Kind; id: string; metadata: Metadata; spec: unknown; spec_hash: string; generation: number; deleted: boolean }>(
      'select kind, id, metadata, spec, spec_hash, generation, deleted_at is not null as deleted from catalog_objects');
  const allocations = await db.query<{ watermark_id: number; recipient_id: string; recipient_name: string; retired: boolean }>(
      'select watermark_id, recipient_id, recipient_name, retired_at is not null as retired from watermark_allocations');
  const jobs = await db.query<{ id: string; content_id: string; tier: 'standard' | 'premium'; detection: 'manual' | 'automatic'; takedown: 'manual' | 'automatic'; start_date: string; stop_date: string | null; every_ms: number; status: MonitoringJobStatus }>(
      'select id, content_id, tier, detection, takedown, start_date, stop_date, every_ms, status from monitoring_jobs');
  const last = await db.query<{ commit: string | null }>(`select commit from reconciliations where result in ('applied', 'no-op') order by id desc limit 1`);
  for (const row of objects.rows) {
    state.objects.set(objectKey(row.kind, row.id), {
      kind: row.kind, id: row.id, metadata: row.metadata, spec: row.spec, appliedHash: row.spec_hash,
      liveHash: contentHash({ metadata: row.metadata, spec: row.spec }), generation: row.generation, deleted: row.deleted,
    });
  }
  for (const row of allocations.rows) {
    const allocation = { watermarkId: row.watermark_id, recipientId: row.recipient_id, name: row.recipient_name, retired: row.retired };
    state.allocations.set(row.recipient_id, allocation);
    state.allocationsById.set(row.watermark_id, allocation);
  }
  for (const row of jobs.rows) {
    state.jobs.set(row.id, {
      id: row.id, contentId: row.content_id, tier: row.tier, detection: row.detection, takedown: row.takedown,
      startDate: row.start_date, stopDate: row.stop_date, everyMs: row.every_ms, status: row.status,
    });
  }
  state.lastCommit = last.rows[0]?.commit ?? undefined;
  return state;
}
