import type pg from 'pg';
import { linkChecksOf } from '../../core/db/link-checks.js';
import { noticesForFinding } from '../../core/db/notices.js';
import type { EvidenceSources } from './pack.js';

/**
 * The production binding of a pack's notices and re-checks, used by `vigil evidence` and the
 * Slack Evidence button alike, so it is bound in one place.
 */
export function defaultEvidenceSources(db: Pick<pg.Pool, 'query'>): EvidenceSources {
  return {
    notices: (id) => noticesForFinding(db, id),
    linkChecks: (id) => linkChecksOf(db, id),
  };
}
