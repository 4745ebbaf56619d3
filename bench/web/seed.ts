import type pg from 'pg';
import { DETECTION_STATUSES, TAKEDOWN_STATUSES } from '../../core/status.js';

/**
 * Findings for the web view's bench and browser tests, written set-based (one INSERT … SELECT over
 * generate_series), so 100,000 rows take seconds. Deterministic: row i gets its title, site family,
 * statuses and time from i alone, so a test can compute what a filter must show. Bench and test
 * fixtures only: real findings are written by core/db/findings.ts with their audit rows.
 */

export const SEED_CONTENTS = ['moonlit-harbor', 'iron-orchid', 'paper-tigers'] as const;
export const SEED_FAMILIES = ['streamzone', 'toonhub', 'fastlocker', 'cinemax-pirate'] as const;

const HEAD = 'apiVersion: vigil/v1\n';

/** The catalog the seeded findings belong to: the three titles, a Site per family, a monitoring job per title, a Policy. */
export function seedCatalogDocs(): string[] {
  const contents = SEED_CONTENTS.map((id) => `${HEAD}kind: Content\nmetadata:\n  id: ${id}\nspec:\n  type: film\n  title: ${id.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ')}\n  releaseDate: 2026-01-01\n`);
  const sites = SEED_FAMILIES.map((family) => `${HEAD}kind: Site\nmetadata:\n  id: ${family}\nspec:\n  type: piracy\n  family: ${family}\n  domains: [${family}.example]\n`);
  const jobs = SEED_CONTENTS.map((id) => `${HEAD}kind: MonitoringJob\nmetadata:\n  id: ${id}-watch\nspec:\n  content: ${id}\n  tier: premium\n  every: 6h\n`);
  const policy = `${HEAD}kind: Policy\nmetadata:\n  id: policy\nspec:\n  noticeSender: { name: Rights Desk, email: rights@studio.example, address: 1 Studio Way }\n  channels: { findings: "#piracy" }\n`;
  return [...contents, ...sites, ...jobs, policy];
}

export interface SeedOptions {
  count: number;
  /** The newest finding's first_seen; the rest step back `stepMinutes` each. */
  newest: Date;
  stepMinutes: number;
  /** The monitoring job of each title, when the catalog has one (`${content}-watch`). */
  withJobs?: boolean;
}

/**
 * The i-th seeded finding (1-based, i = 1 newest), as the SQL below writes it: content i mod 3,
 * family i mod 4, takedown status i mod 6, detection status i mod 8.
 */
export function seededFinding(i: number, o: Pick<SeedOptions, 'newest' | 'stepMinutes'>): { contentId: string; family: string; takedown: string; detection: string; firstSeen: Date; host: string } {
  const family = SEED_FAMILIES[i % SEED_FAMILIES.length]!;
  return {
    contentId: SEED_CONTENTS[i % SEED_CONTENTS.length]!,
    family,
    takedown: TAKEDOWN_STATUSES[i % TAKEDOWN_STATUSES.length]!,
    detection: DETECTION_STATUSES[i % DETECTION_STATUSES.length]!,
    firstSeen: new Date(o.newest.getTime() - (i - 1) * o.stepMinutes * 60_000),
    host: `m${i % 50}.${family}.example`,
  };
}

export async function seedFindings(pool: Pick<pg.Pool, 'query'>, o: SeedOptions): Promise<void> {
  await pool.query(
    `insert into findings (content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score,
                           takedown_status, detection_status, first_seen, last_seen, round_id)
     select c.content_id, case when $7 then c.content_id || '-watch' end,
            'https://' || h.host || '/watch/' || i, 'https://' || h.host || '/watch/' || i, h.host, f.family, f.family,
            c.content_id || ' episode ' || (i % 16 + 1), 'web', 5 + (i % 10),
            ($5::text[])[i % array_length($5::text[], 1) + 1], ($6::text[])[i % array_length($6::text[], 1) + 1],
            $2::timestamptz - make_interval(mins => ((i - 1) * $3)::int), $2::timestamptz - make_interval(mins => ((i - 1) * $3)::int), 'seed-' || (i / 500)
       from generate_series(1, $1::int) as i
      cross join lateral (select ($4::text[])[i % array_length($4::text[], 1) + 1] as content_id) c
      cross join lateral (select ($8::text[])[i % array_length($8::text[], 1) + 1] as family) f
      cross join lateral (select 'm' || (i % 50) || '.' || f.family || '.example' as host) h`,
    [o.count, o.newest, o.stepMinutes, SEED_CONTENTS, TAKEDOWN_STATUSES, DETECTION_STATUSES, o.withJobs ?? false, SEED_FAMILIES]);
  await pool.query('analyze findings');
}
