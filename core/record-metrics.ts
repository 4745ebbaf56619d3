import type pg from 'pg';
import { scrapeSources, type RecordSample } from './metrics.js';

/**
 * Notices by status and findings by takedown and detection status, counted in PostgreSQL: two
 * grouped counts, the findings one answered from the findings_statuses index.
 */
export async function sampleRecords(db: Pick<pg.Pool, 'query'>): Promise<RecordSample> {
  const [notices, findings] = await Promise.all([
    db.query<{ status: string; n: number }>(`select status, count(*)::int as n from notices group by status`),
    db.query<{ takedown: string; detection: string; n: number }>(
      `select takedown_status as takedown, detection_status as detection, count(*)::int as n from findings group by 1, 2`),
  ]);
  const sample: RecordSample = { notices: {}, takedown: {}, detection: {} };
  for (const r of notices.rows) sample.notices[r.status] = r.n;
  for (const r of findings.rows) {
    sample.takedown[r.takedown] = (sample.takedown[r.takedown] ?? 0) + r.n;
    sample.detection[r.detection] = (sample.detection[r.detection] ?? 0) + r.n;
  }
  return sample;
}

/** Has every scrape of this process count the records; the returned function stops it. */
export function watchRecordCounts(db: Pick<pg.Pool, 'query'>): () => void {
  const read = (): Promise<RecordSample> => sampleRecords(db);
  scrapeSources.records.add(read);
  return () => scrapeSources.records.delete(read);
}
