import type pg from 'pg';
import type { PolicySpec } from '../catalog/types.js';

/**
 * The applied Policy: what the last apply wrote to catalog_objects (git stays the source; this is
 * its recorded copy). A catalog holds at most one Policy; none applied reads as an empty one, whose
 * lists of approvers are empty (nobody may approve: the safe default).
 */
export async function appliedPolicy(db: Pick<pg.Pool, 'query'>): Promise<PolicySpec> {
  const { rows } = await db.query<{ spec: PolicySpec }>(`select spec from catalog_objects where kind = 'Policy' and deleted_at is null order by id limit 1`);
  return rows[0]?.spec ?? {};
}
