import type pg from 'pg';
import type { EvidenceSources } from './pack.js';

/**
 * The production binding of a pack's notices and re-checks, used by `vigil evidence` and the
 * Slack Evidence button alike, so it is bound in one place.
 *
 * MERGER: bind the takedown runner's readers here once its tables are merged:
 *   notices: (id) => noticesForFinding(db, id)   (core/db/notices.ts: each notice with its delivery receipts)
 *   linkChecks: (id) => linkChecksOf(db, id)     (core/db/link-checks.ts)
 * Until then both answer [] and a pack's notices.json and rechecks.json are empty lists.
 */
export function defaultEvidenceSources(db: Pick<pg.Pool, 'query'>): EvidenceSources {
  void db;
  return {
    notices: () => Promise.resolve([]),
    linkChecks: () => Promise.resolve([]),
  };
}
