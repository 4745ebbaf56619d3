/**
 * EmbedJobs and the catalog commit as the database holds them after `vigil apply`: an embed runs
 * what was applied (and reviewed), never what a catalog folder happens to say.
 */
import type pg from 'pg';
import type { EmbedJobSpec } from '../../core/catalog/types.js';
import { VigilError } from '../../core/errors.js';

export interface AppliedEmbedJob {
  id: string;
  spec: EmbedJobSpec;
  commit: string | null;
}

export async function loadAppliedEmbedJob(pool: Pick<pg.Pool, 'query'>, id: string, database: string): Promise<AppliedEmbedJob> {
  const { rows } = await pool.query<{ id: string; spec: EmbedJobSpec; applied_commit: string | null }>(
    `select id, spec, applied_commit from catalog_objects where kind = 'EmbedJob' and lower(id) = lower($1) and deleted_at is null`, [id]);
  const row = rows[0];
  if (!row) throw new VigilError('EMBED_JOB_UNKNOWN', `--job ${JSON.stringify(id)}: no EmbedJob with that id is in the catalog applied to ${database}`);
  return { id: row.id, spec: row.spec, commit: row.applied_commit };
}

/** The commit of the last reconciliation that applied a catalog, when it had one. */
export async function lastAppliedCommit(pool: Pick<pg.Pool, 'query'>): Promise<string | null> {
  const { rows } = await pool.query<{ commit: string | null }>(
    `select commit from reconciliations where result in ('applied', 'no-op') order by id desc limit 1`);
  return rows[0]?.commit ?? null;
}
