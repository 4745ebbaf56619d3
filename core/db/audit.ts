import type { PoolClient } from 'pg';

/** One entry of the append-only audit log: who did what to which object, and why. */
export interface AuditEntry {
  action: string;
  kind: string | null;
  id: string | null;
  reason: string;
  details: unknown;
}

/** Appends entries in one statement; people and automation alike go through here. */
export async function appendAudit(db: Pick<PoolClient, 'query'>, actor: string, commit: string | null, rows: AuditEntry[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `insert into audit_log (actor, action, object_kind, object_id, commit, reason, details)
     select $2, r.action, r.kind, r.id, $3, r.reason, coalesce(r.details, '{}'::jsonb)
     from jsonb_to_recordset($1::jsonb) as r(action text, kind text, id text, reason text, details jsonb)`,
    [JSON.stringify(rows), actor, commit],
  );
}
