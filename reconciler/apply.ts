import type { Pool, PoolClient } from 'pg';
import { appendAudit, type AuditEntry } from '../core/db/audit.js';
import { inTransaction } from '../core/db/transaction.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import type { DesiredState } from './desired.js';
import type { Diagnostic } from '../core/catalog/diagnostics.js';
import { plan, type Change, type Plan } from './plan.js';
import type { JobSchedulers } from './schedulers.js';
import { loadActualState } from './store.js';

/** Any number fixed for Vigil: one apply at a time across every process sharing the database. */
export const APPLY_LOCK = 0x76676c61;

export interface ApplyOptions {
  /** The git commit being reconciled, when known. */
  commit?: string | undefined;
  /** Where the desired state came from, e.g. a directory or repository URL. */
  source: string;
  /** Who asked, for the audit log: a person, 'github:push', 'reconciler'. */
  actor: string;
  now?: Date;
  /** Job schedulers to keep in step; without them monitoring jobs are recorded but not scheduled. */
  schedulers?: JobSchedulers | undefined;
  log?: Logger;
}

export interface ApplyResult {
  plan: Plan;
  result: 'applied' | 'no-op' | 'rejected';
  reconciliationId: number;
  /** Monitoring jobs whose scheduler could not be registered; they are left in Registration Failed. */
  registrationFailures: { jobId: string; message: string }[];
}

function auditOf(change: Change): AuditEntry {
  switch (change.op) {
    case 'create':
      return { action: 'create', kind: change.object.kind, id: change.object.id, reason: `added at ${change.object.source.file}:${change.object.source.line}`, details: {} };
    case 'update':
      return { action: 'update', kind: change.object.kind, id: change.object.id, reason: `changed ${change.fields.map((f) => f.field).join(', ')}`, details: { fields: change.fields } };
    case 'repair':
      return { action: 'repair', kind: change.object.kind, id: change.object.id, reason: change.reason, details: {} };
    case 'delete':
      return { action: 'delete', kind: change.kind, id: change.id, reason: 'removed from the catalog', details: {} };
    case 'allocate':
      return { action: 'allocate-watermark-id', kind: 'Recipient', id: change.recipientId, reason: `watermark ID ${change.watermarkId} allocated${change.retired ? ' (retired)' : ''}`, details: { watermarkId: change.watermarkId, name: change.name } };
    case 'retire':
      return { action: 'retire', kind: 'Recipient', id: change.recipientId, reason: `retired; watermark ID ${change.watermarkId} stays reserved`, details: { watermarkId: change.watermarkId } };
    case 'reinstate':
      return { action: 'reinstate', kind: 'Recipient', id: change.recipientId, reason: `reinstated with watermark ID ${change.watermarkId}`, details: { watermarkId: change.watermarkId } };
    case 'rename':
      return { action: 'rename', kind: 'Recipient', id: change.recipientId, reason: `renamed ${change.from} to ${change.to}`, details: { from: change.from, to: change.to } };
    case 'job':
      return { action: 'job-status', kind: 'MonitoringJob', id: change.job.id, reason: change.reason, details: { from: change.from, to: change.to, scheduler: change.scheduler } };
  }
}

async function writeObjects(db: PoolClient, changes: Change[], commit: string | null): Promise<void> {
  const upserts = changes.flatMap((c) => (c.op === 'create' || c.op === 'update' || c.op === 'repair' ? [{
    kind: c.object.kind, id: c.object.id, metadata: c.object.metadata, spec: c.object.spec, hash: c.object.hash,
    file: c.object.source.file, line: c.object.source.line, reason: c.op === 'create' ? 'Created' : c.op === 'update' ? 'Updated' : 'Repaired',
  }] : []));
  if (upserts.length > 0) {
    await db.query(
      `insert into catalog_objects as o (kind, id, metadata, spec, spec_hash, generation, source_file, source_line, applied_commit, conditions)
       select r.kind, r.id, r.metadata, r.spec, r.hash, 1, r.file, r.line, $2,
              jsonb_build_array(jsonb_build_object('type', 'Ready', 'status', 'True', 'reason', r.reason, 'message', 'applied',
                                'observedGeneration', 1, 'lastTransitionTime', now()))
       from jsonb_to_recordset($1::jsonb) as r(kind text, id text, metadata jsonb, spec jsonb, hash text, file text, line int, reason text)
       on conflict (kind, id) do update set
         metadata = excluded.metadata, spec = excluded.spec, spec_hash = excluded.spec_hash, generation = o.generation + 1,
         source_file = excluded.source_file, source_line = excluded.source_line, applied_commit = excluded.applied_commit,
         conditions = jsonb_set(excluded.conditions, '{0,observedGeneration}', to_jsonb(o.generation + 1)),
         deleted_at = null, updated_at = now()`,
      [JSON.stringify(upserts), commit],
    );
  }
  const deletes = changes.flatMap((c) => (c.op === 'delete' ? [{ kind: c.kind, id: c.id }] : []));
  if (deletes.length > 0) {
    await db.query(
      `update catalog_objects o set deleted_at = now(), updated_at = now(), applied_commit = $2,
         conditions = jsonb_build_array(jsonb_build_object('type', 'Ready', 'status', 'False', 'reason', 'Deleted',
                        'message', 'removed from the catalog', 'observedGeneration', o.generation, 'lastTransitionTime', now()))
       from jsonb_to_recordset($1::jsonb) as r(kind text, id text) where o.kind = r.kind and o.id = r.id`,
      [JSON.stringify(deletes), commit],
    );
  }
}

/**
 * A name no catalog recipient can have (names are letters, digits, '-', '_', '.'), unique per
 * recipient: renamed recipients park on it so that names can move between them in one commit.
 */
function parkedName(recipientId: string): string {
  return `~renaming~${recipientId}`;
}

/**
 * Active names are unique ignoring case, checked row by row, so the order matters: retire (frees
 * names), park every renamed recipient on a temporary name (frees theirs: a swap A<->B, a rotation),
 * reinstate, give the renamed their new names, and only then allocate new recipients, who may take
 * a name freed above. The desired names are unique (validation, and the plan's rejections), so
 * every step finds its name free.
 */
async function writeRecipients(db: PoolClient, changes: Change[], commit: string | null): Promise<void> {
  const renames = changes.flatMap((c) => (c.op === 'rename' ? [c] : []));
  for (const c of changes) {
    if (c.op === 'retire') await db.query('update watermark_allocations set retired_at = now() where recipient_id = $1 and retired_at is null', [c.recipientId]);
  }
  for (const c of renames) await db.query('update watermark_allocations set recipient_name = $2 where recipient_id = $1', [c.recipientId, parkedName(c.recipientId)]);
  for (const c of changes) {
    if (c.op === 'reinstate') await db.query('update watermark_allocations set retired_at = null where recipient_id = $1', [c.recipientId]);
  }
  for (const c of renames) await db.query('update watermark_allocations set recipient_name = $2 where recipient_id = $1', [c.recipientId, c.to]);
  const allocations = changes.flatMap((c) => (c.op === 'allocate' ? [{ watermark_id: c.watermarkId, recipient_id: c.recipientId, name: c.name, retired: c.retired }] : []));
  if (allocations.length > 0) {
    await db.query(
      `insert into watermark_allocations (watermark_id, recipient_id, recipient_name, allocated_commit, retired_at)
       select r.watermark_id, r.recipient_id, r.name, $2, case when r.retired then now() end
       from jsonb_to_recordset($1::jsonb) as r(watermark_id bigint, recipient_id text, name text, retired boolean)`,
      [JSON.stringify(allocations), commit],
    );
  }
}

async function writeJobs(db: PoolClient, changes: Change[]): Promise<void> {
  const rows = changes.flatMap((c) => (c.op === 'job' ? [{
    id: c.job.id, content_id: c.job.contentId, tier: c.job.tier, detection: c.job.detection, takedown: c.job.takedown,
    start_date: c.job.startDate, stop_date: c.job.stopDate, every_ms: c.job.everyMs, status: c.to, reason: c.reason,
  }] : []));
  if (rows.length === 0) return;
  await db.query(
    `insert into monitoring_jobs as j (id, content_id, tier, detection, takedown, start_date, stop_date, every_ms, status, status_reason)
     select r.id, r.content_id, r.tier, r.detection, r.takedown, r.start_date, r.stop_date, r.every_ms, r.status, r.reason
     from jsonb_to_recordset($1::jsonb) as r(id text, content_id text, tier text, detection text, takedown text,
                                            start_date date, stop_date date, every_ms bigint, status text, reason text)
     on conflict (id) do update set content_id = excluded.content_id, tier = excluded.tier, detection = excluded.detection,
       takedown = excluded.takedown, start_date = excluded.start_date, stop_date = excluded.stop_date, every_ms = excluded.every_ms,
       status_since = case when j.status = excluded.status then j.status_since else now() end,
       status = excluded.status, status_reason = excluded.status_reason, updated_at = now()`,
    [JSON.stringify(rows)],
  );
}

async function recordReconciliation(
  db: Pick<PoolClient, 'query'>, options: ApplyOptions, startedAt: Date, result: ApplyResult['result'], p: Plan,
): Promise<number> {
  const summary: Record<string, number> = {};
  for (const c of p.changes) summary[c.op] = (summary[c.op] ?? 0) + 1;
  const row = await db.query<{ id: number }>(
    `insert into reconciliations (commit, source, started_at, result, changes, summary) values ($1, $2, $3, $4, $5, $6) returning id`,
    [options.commit ?? null, options.source, startedAt, result, p.changes.length, JSON.stringify({ ...summary, rejections: p.rejections.length })],
  );
  return row.rows[0]!.id;
}

/** Records that a commit's catalog did not validate, so the history shows why nothing was applied. */
export async function recordInvalidCatalog(
  pool: Pool, input: { source: string; commit: string; actor: string; diagnostics: readonly Diagnostic[] },
): Promise<void> {
  const errors = input.diagnostics.filter((d) => d.severity === 'error');
  await inTransaction(pool, async (client) => {
    await client.query(
      `insert into reconciliations (commit, source, started_at, result, changes, summary) values ($1, $2, now(), 'rejected', 0, $3)`,
      [input.commit, input.source, JSON.stringify({ invalid: errors.length, first: errors.slice(0, 20) })],
    );
    await appendAudit(client, input.actor, input.commit, [{
      action: 'reject-catalog', kind: null, id: null, reason: `${errors.length} validation error(s); nothing applied`, details: { first: errors.slice(0, 20) },
    }]);
  });
}

/** Brings jobs' schedulers in line with what was just committed; failures become Registration Failed. */
async function syncSchedulers(pool: Pool, changes: Change[], options: ApplyOptions): Promise<ApplyResult['registrationFailures']> {
  const failures: ApplyResult['registrationFailures'] = [];
  const schedulers = options.schedulers;
  if (!schedulers) return failures;
  for (const change of changes) {
    if (change.op !== 'job' || change.scheduler === 'keep') continue;
    try {
      if (change.scheduler === 'register') await schedulers.register(change.job);
      else await schedulers.unregister(change.job.id);
    } catch (error) {
      failures.push({ jobId: change.job.id, message: (error as Error).message });
    }
  }
  if (failures.length > 0) {
    await inTransaction(pool, async (client) => {
      for (const f of failures) {
        await client.query(
          `update monitoring_jobs set status = 'Registration Failed', status_reason = $2, status_since = now(), updated_at = now() where id = $1`,
          [f.jobId, `could not register the job scheduler: ${f.message}`],
        );
      }
      await appendAudit(client, options.actor, options.commit ?? null, failures.map((f) => ({
        action: 'job-status', kind: 'MonitoringJob', id: f.jobId, reason: `Registration Failed: ${f.message}`, details: { to: 'Registration Failed' },
      })));
    });
  }
  return failures;
}

/**
 * Makes the database (and job schedulers) match the desired state. Safe to repeat: a second apply
 * of the same state plans nothing. Everything is written in one transaction or not at all.
 */
export async function apply(pool: Pool, desired: DesiredState, options: ApplyOptions): Promise<ApplyResult> {
  const log = options.log ?? silentLogger;
  const startedAt = new Date();
  const now = options.now ?? startedAt;
  const commit = options.commit ?? null;
  const client = await pool.connect();
  let p: Plan;
  let result: ApplyResult['result'];
  let reconciliationId: number;
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [APPLY_LOCK]);
    const actual = await loadActualState(client);
    actual.schedulers = options.schedulers ? await options.schedulers.list() : undefined;
    p = plan(desired, actual, now);
    if (p.rejections.length > 0) {
      await client.query('rollback');
      await client.query('begin');
      result = 'rejected';
      reconciliationId = await recordReconciliation(client, options, startedAt, result, p);
      await appendAudit(client, options.actor, commit, p.rejections.map((r) => ({ action: 'reject', kind: r.kind, id: r.id, reason: r.message, details: { field: r.field } })));
      await client.query('commit');
      log.warn({ commit, rejections: p.rejections.length }, 'apply rejected');
      return { plan: p, result, reconciliationId, registrationFailures: [] };
    }
    await writeObjects(client, p.changes, commit);
    await writeRecipients(client, p.changes, commit);
    await writeJobs(client, p.changes);
    result = p.changes.length === 0 ? 'no-op' : 'applied';
    reconciliationId = await recordReconciliation(client, options, startedAt, result, p);
    await appendAudit(client, options.actor, commit, p.changes.map(auditOf));
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  const registrationFailures = await syncSchedulers(pool, p.changes, options);
  log.info({ commit, result, changes: p.changes.length, registrationFailures: registrationFailures.length, reconciliationId }, 'apply finished');
  return { plan: p, result, reconciliationId, registrationFailures };
}
