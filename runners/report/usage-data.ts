import type pg from 'pg';
import type { MonitoringJobStatus } from '../../core/status.js';
import type { Period } from './period.js';
import type { Tier, UsageJob } from './usage.js';

/**
 * What the usage report reads: every monitoring job with its history (migration 20) up to the end
 * of the month, and its title's name and release date from the applied catalog (a Content removed
 * since is still named as it was applied).
 */

interface HistoryRow {
  job_id: string;
  content_id: string;
  status: MonitoringJobStatus;
  tier: Tier;
  start_date: string;
  stop_date: string | null;
  at: Date;
  title: string | null;
  season: number | null;
  release_date: string | null;
}

/** A season is named with its number, as people say it: Moonlit Harbor S1. */
export function workTitle(spec: { title?: string | null; season?: number | null }, fallback: string): string {
  const title = spec.title ?? fallback;
  return spec.season ? `${title} S${spec.season}` : title;
}

export async function loadUsageJobs(db: Pick<pg.Pool, 'query'>, month: Period): Promise<UsageJob[]> {
  const { rows } = await db.query<HistoryRow>(
    `select h.job_id, h.content_id, h.status, h.tier, to_char(h.start_date, 'YYYY-MM-DD') as start_date,
            to_char(h.stop_date, 'YYYY-MM-DD') as stop_date, h.at,
            c.spec->>'title' as title, (c.spec->>'season')::int as season, c.spec->>'releaseDate' as release_date
     from monitoring_job_history h
     left join catalog_objects c on c.kind = 'Content' and c.id = h.content_id
     where h.at < $1
     order by h.job_id, h.at, h.id`,
    [month.end]);
  const jobs = new Map<string, UsageJob>();
  for (const r of rows) {
    let job = jobs.get(r.job_id);
    // A job moved to another content is billed for the content it has now; its history before stays with it.
    if (!job) {
      job = { jobId: r.job_id, contentId: r.content_id, title: workTitle(r, r.content_id), releaseDate: r.release_date ?? r.start_date, history: [] };
      jobs.set(r.job_id, job);
    }
    job.contentId = r.content_id;
    job.title = workTitle(r, r.content_id);
    job.releaseDate = r.release_date ?? r.start_date;
    job.history.push({ at: r.at, status: r.status, tier: r.tier, startDate: r.start_date, stopDate: r.stop_date });
  }
  return [...jobs.values()];
}
