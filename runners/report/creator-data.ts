import type pg from 'pg';
import type { ContentSpec, CreatorSpec } from '../../core/catalog/types.js';
import { VigilError } from '../../core/errors.js';
import type { Period } from './period.js';
import type { Work, WorkLinkReport } from './creator.js';
import { workTitle } from './usage-data.js';

/**
 * What a creator report reads: the applied Content whose spec.creator names the creator (ignoring
 * case), their findings first seen in the period with the first time each became Complete (from
 * the audit log, where every status change is written), and the links people reported for them.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface Creator extends CreatorSpec {
  /** The works' content ids, sorted. */
  contentIds: string[];
}

/** Every creator the applied catalog names (names compared ignoring case), with their works. */
export async function appliedCreators(db: Queryable): Promise<Creator[]> {
  const { rows } = await db.query<{ id: string; spec: ContentSpec }>(
    `select id, spec from catalog_objects where kind = 'Content' and deleted_at is null and spec ? 'creator' order by id`);
  const creators = new Map<string, Creator>();
  for (const r of rows) {
    const c = r.spec.creator!;
    const key = c.name.toLowerCase();
    const known = creators.get(key);
    if (known) {
      known.contentIds.push(r.id);
      // The name as the Content that gives the address spells it: that one was written with the creator in mind.
      if (!known.email && c.email) known.name = c.name;
      known.email ??= c.email;
      known.slackUser ??= c.slackUser;
    } else {
      creators.set(key, { name: c.name, ...(c.email ? { email: c.email } : {}), ...(c.slackUser ? { slackUser: c.slackUser } : {}), contentIds: [r.id] });
    }
  }
  return [...creators.values()];
}

export async function findCreator(db: Queryable, name: string): Promise<Creator> {
  const creators = await appliedCreators(db);
  const found = creators.find((c) => c.name.toLowerCase() === name.trim().toLowerCase());
  if (found) return found;
  const known = creators.map((c) => JSON.stringify(c.name)).join(', ') || 'none (no applied Content has spec.creator)';
  throw new VigilError('REPORT_CREATOR_UNKNOWN', `no applied Content names the creator ${JSON.stringify(name)}; creators known: ${known}`);
}

interface FindingRow {
  id: string;
  content_id: string;
  host: string;
  site_id: string | null;
  family: string | null;
  first_seen: Date;
  removed_at: Date | null;
}

interface ReportRow {
  content_id: string;
  reporter: string | null;
  review: WorkLinkReport['review'];
  removed_at: Date | null;
}

export async function loadWorks(db: Queryable, contentIds: readonly string[], period: Period): Promise<Work[]> {
  const titles = await db.query<{ id: string; title: string | null; season: number | null }>(
    `select id, spec->>'title' as title, (spec->>'season')::int as season from catalog_objects where kind = 'Content' and id = any($1) order by id`, [contentIds]);
  const removal = `left join lateral (
       select min(a.at) as removed_at from audit_log a
       where a.object_kind = 'Finding' and a.object_id = f.id::text and a.action = 'takedown-status' and a.details->>'to' = 'Complete' and a.at < $3
     ) r on true`;
  const findings = await db.query<FindingRow>(
    `select f.id, f.content_id, f.host, f.site_id, f.family, f.first_seen, r.removed_at
     from findings f ${removal}
     where f.content_id = any($1) and f.first_seen >= $2 and f.first_seen < $3 and f.takedown_status <> 'Ignore'
     order by f.id`, [contentIds, period.start, period.end]);
  // A reported link is a work's once someone named its title (in the report, or by confirming it).
  const reports = await db.query<ReportRow>(
    `select coalesce(s.content_id, f.content_id) as content_id, s.reporter, s.review, r.removed_at
     from suspects s left join findings f on f.id = s.finding_id ${removal}
     where s.source = 'report' and s.first_seen >= $2 and s.first_seen < $3 and coalesce(s.content_id, f.content_id) = any($1)
     order by s.id`, [contentIds, period.start, period.end]);
  return titles.rows.map((t) => ({
    contentId: t.id,
    title: workTitle(t, t.id),
    findings: findings.rows.filter((f) => f.content_id === t.id).map((f) => ({
      id: Number(f.id), host: f.host, siteId: f.site_id, family: f.family, firstSeen: f.first_seen, removedAt: f.removed_at,
    })),
    reports: reports.rows.filter((r) => r.content_id === t.id).map((r) => ({ reporter: r.reporter ?? '', review: r.review, removedAt: r.removed_at })),
  }));
}
