import type pg from 'pg';
import { linkChecksOf } from '../../core/db/link-checks.js';
import type { EvidenceSources } from './pack.js';

/**
 * The production binding of a pack's notices and re-checks, used by `vigil evidence` and the
 * Slack Evidence button alike, so it is bound in one place.
 */
export function defaultEvidenceSources(db: Pick<pg.Pool, 'query'>): EvidenceSources {
  return {
    // Bound to core/db/notices.ts noticesForFinding when the notice records land.
    notices: () => Promise.resolve([]),
    linkChecks: (id) => linkChecksOf(db, id),
  };
}
