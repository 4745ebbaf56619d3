import type pg from 'pg';
import { VigilError } from '../../core/errors.js';
import { DETECTION_STATUSES, TAKEDOWN_STATUSES, type DetectionStatus, type TakedownStatus } from '../../core/status.js';
import type { MonitoringJobSpec } from '../../core/catalog/types.js';
import type { Hop, HostProfile, SiteEntry } from './families.js';
import type { SourceKind } from './sources/types.js';
import { hostOf, normalizeUrl } from './url.js';

/**
 * Findings, the review queue, discovered sites and host profiles in PostgreSQL. A finding is one
 * content at one normalized URL: later rounds (and other sources) that see it again update last_seen
 * and the evidence, and never touch the statuses people and automation have set since.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface FindingInput {
  contentId: string;
  monitoringJobId?: string;
  url: string;
  siteId?: string;
  family?: string;
  pageTitle: string;
  source: SourceKind;
  score: number;
  matchDistance?: number;
  evidence: Record<string, unknown>;
  takedownStatus: TakedownStatus;
  detectionStatus: DetectionStatus;
  seenAt?: Date;
}

export interface Finding {
  id: number;
  contentId: string;
  monitoringJobId: string | null;
  url: string;
  normalizedUrl: string;
  host: string;
  siteId: string | null;
  family: string | null;
  pageTitle: string;
  source: SourceKind;
  score: number;
  matchDistance: number | null;
  evidence: Record<string, unknown>;
  takedownStatus: TakedownStatus;
  detectionStatus: DetectionStatus;
  firstSeen: Date;
  lastSeen: Date;
  rounds: number;
}

/** The statuses a new finding starts with, by the rules of its monitoring job. */
export function initialStatuses(job: Pick<MonitoringJobSpec, 'takedown' | 'detection'>, content: { watermarked?: boolean }): { takedownStatus: TakedownStatus; detectionStatus: DetectionStatus } {
  const takedownStatus: TakedownStatus = job.takedown === 'automatic' ? 'Takedown requested' : 'Available';
  // Detection looks for a forensic watermark: without one there is nothing to detect.
  const detectionStatus: DetectionStatus = !content.watermarked ? 'Not Available' : job.detection === 'automatic' ? 'Downloading' : 'Available';
  return { takedownStatus, detectionStatus };
}

const FINDING_COLUMNS = `id, content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score, match_distance, evidence,
  takedown_status, detection_status, first_seen, last_seen, rounds`;

interface FindingRow {
  id: number; content_id: string; monitoring_job_id: string | null; url: string; normalized_url: string; host: string; site_id: string | null; family: string | null;
  page_title: string; source: SourceKind; score: number; match_distance: number | null; evidence: Record<string, unknown>; takedown_status: TakedownStatus;
  detection_status: DetectionStatus; first_seen: Date; last_seen: Date; rounds: number;
}

function toFinding(r: FindingRow): Finding {
  return {
    id: r.id, contentId: r.content_id, monitoringJobId: r.monitoring_job_id, url: r.url, normalizedUrl: r.normalized_url, host: r.host, siteId: r.site_id, family: r.family,
    pageTitle: r.page_title, source: r.source, score: r.score, matchDistance: r.match_distance, evidence: r.evidence, takedownStatus: r.takedown_status,
    detectionStatus: r.detection_status, firstSeen: r.first_seen, lastSeen: r.last_seen, rounds: r.rounds,
  };
}

/** Inserts a finding or, if this content is already found at this normalized URL, refreshes it. */
export async function upsertFinding(db: Queryable, f: FindingInput): Promise<{ finding: Finding; created: boolean }> {
  const seen = f.seenAt ?? new Date();
  const { rows } = await db.query<FindingRow & { created: boolean }>(
    `insert into findings (content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score, match_distance, evidence,
       takedown_status, detection_status, first_seen, last_seen)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
     on conflict (content_id, normalized_url) do update set
       last_seen = greatest(findings.last_seen, excluded.last_seen),
       rounds = findings.rounds + 1,
       score = greatest(findings.score, excluded.score),
       match_distance = least(findings.match_distance, excluded.match_distance),
       evidence = findings.evidence || excluded.evidence,
       site_id = coalesce(excluded.site_id, findings.site_id),
       family = coalesce(excluded.family, findings.family),
       page_title = case when excluded.page_title <> '' then excluded.page_title else findings.page_title end
     returning ${FINDING_COLUMNS}, (xmax = 0) as created`,
    [f.contentId, f.monitoringJobId ?? null, f.url, normalizeUrl(f.url), hostOf(f.url), f.siteId ?? null, f.family ?? null, f.pageTitle, f.source, f.score,
      f.matchDistance ?? null, JSON.stringify(f.evidence), f.takedownStatus, f.detectionStatus, seen],
  );
  const row = rows[0]!;
  await db.query(`update suspects set review = 'confirmed', last_seen = $3 where content_id = $1 and normalized_url = $2`, [f.contentId, row.normalized_url, seen]);
  return { finding: toFinding(row), created: row.created };
}

export interface SuspectInput {
  contentId: string;
  monitoringJobId?: string;
  url: string;
  siteId?: string;
  family?: string;
  pageTitle: string;
  source: SourceKind;
  score: number;
  reason: string;
  evidence: Record<string, unknown>;
  /** Premium monitoring puts unconfirmed suspects before people. */
  queueForReview: boolean;
}

export async function upsertSuspect(db: Queryable, s: SuspectInput): Promise<{ id: number; created: boolean }> {
  const { rows } = await db.query<{ id: number; created: boolean }>(
    `insert into suspects (content_id, monitoring_job_id, url, normalized_url, host, site_id, family, page_title, source, score, reason, evidence, review)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     on conflict (content_id, normalized_url) do update set
       last_seen = now(), score = greatest(suspects.score, excluded.score), reason = excluded.reason, evidence = excluded.evidence,
       review = case when suspects.review = 'pending' then excluded.review else suspects.review end
     returning id, (xmax = 0) as created`,
    [s.contentId, s.monitoringJobId ?? null, s.url, normalizeUrl(s.url), hostOf(s.url), s.siteId ?? null, s.family ?? null, s.pageTitle, s.source, s.score, s.reason,
      JSON.stringify(s.evidence), s.queueForReview ? 'queued' : 'pending'],
  );
  return { id: rows[0]!.id, created: rows[0]!.created };
}

export interface ReviewItem {
  id: number;
  contentId: string;
  url: string;
  pageTitle: string;
  score: number;
  reason: string;
  siteId: string | null;
}

/** Suspects waiting for a person, strongest first. */
export async function reviewQueue(db: Queryable, contentId?: string, limit = 100): Promise<ReviewItem[]> {
  const { rows } = await db.query<{ id: number; content_id: string; url: string; page_title: string; score: number; reason: string; site_id: string | null }>(
    `select id, content_id, url, page_title, score, reason, site_id from suspects
     where review = 'queued' and ($1::text is null or content_id = $1) order by score desc, id limit $2`, [contentId ?? null, limit]);
  return rows.map((r) => ({ id: r.id, contentId: r.content_id, url: r.url, pageTitle: r.page_title, score: r.score, reason: r.reason, siteId: r.site_id }));
}

export interface FindingQuery {
  contentId?: string;
  /** Matches the content's title, aliases and localized titles, and the page title (case-insensitive substring). */
  title?: string;
  /** Inclusive calendar days in a time zone: { from: '2026-03-01', to: '2026-03-31', timeZone: 'Asia/Seoul' }. */
  period?: { from?: string; to?: string; timeZone: string; field?: 'first_seen' | 'last_seen' };
  /** A URL (matched after normalization) or a bare host (matches the host and its subdomains). */
  link?: string;
  takedownStatus?: readonly TakedownStatus[];
  detectionStatus?: readonly DetectionStatus[];
  family?: string;
  limit?: number;
  offset?: number;
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new VigilError('USAGE', `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as UTC, Europe/Paris or Asia/Seoul`);
  }
}

function checkDay(day: string): void {
  // Date.parse takes 2026-02-30 as 2 March: a real day survives the round trip.
  const time = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || !new Date(time).toISOString().startsWith(day)) throw new VigilError('USAGE', `${JSON.stringify(day)} is not a date (yyyy-MM-dd)`);
}

export async function queryFindings(db: Queryable, q: FindingQuery): Promise<Finding[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown): string => { params.push(value); return `$${params.length}`; };
  if (q.contentId) where.push(`f.content_id = ${p(q.contentId)}`);
  if (q.title) {
    const like = p(`%${q.title.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    where.push(`(f.page_title ilike ${like} or exists (
      select 1 from catalog_objects c where c.kind = 'Content' and c.id = f.content_id and (
        c.spec->>'title' ilike ${like}
        or exists (select 1 from jsonb_array_elements_text(coalesce(c.spec->'aliases', '[]')) a where a ilike ${like})
        or exists (select 1 from jsonb_array_elements(coalesce(c.spec->'localizedTitles', '[]')) l where l->>'title' ilike ${like}))))`);
  }
  if (q.period) {
    checkTimeZone(q.period.timeZone);
    const field = q.period.field === 'last_seen' ? 'f.last_seen' : 'f.first_seen';
    const tz = p(q.period.timeZone);
    if (q.period.from) { checkDay(q.period.from); where.push(`${field} >= (${p(q.period.from)}::date::timestamp at time zone ${tz})`); }
    if (q.period.to) { checkDay(q.period.to); where.push(`${field} < ((${p(q.period.to)}::date + 1)::timestamp at time zone ${tz})`); }
  }
  if (q.link) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(q.link)) where.push(`f.normalized_url = ${p(normalizeUrl(q.link))}`);
    else {
      const host = q.link.toLowerCase().replace(/^www\./, '');
      where.push(`(f.host = ${p(host)} or f.host like ${p(`%.${host}`)})`);
    }
  }
  if (q.takedownStatus && q.takedownStatus.length > 0) {
    for (const s of q.takedownStatus) if (!TAKEDOWN_STATUSES.includes(s)) throw new VigilError('USAGE', `unknown takedown status ${JSON.stringify(s)}; one of ${TAKEDOWN_STATUSES.join(', ')}`);
    where.push(`f.takedown_status = any(${p(q.takedownStatus)}::text[])`);
  }
  if (q.detectionStatus && q.detectionStatus.length > 0) {
    for (const s of q.detectionStatus) if (!DETECTION_STATUSES.includes(s)) throw new VigilError('USAGE', `unknown detection status ${JSON.stringify(s)}; one of ${DETECTION_STATUSES.join(', ')}`);
    where.push(`f.detection_status = any(${p(q.detectionStatus)}::text[])`);
  }
  if (q.family) where.push(`f.family = ${p(q.family)}`);
  const sql = `select ${FINDING_COLUMNS.split(',').map((c) => `f.${c.trim()}`).join(', ')} from findings f
    ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by f.first_seen desc, f.id desc limit ${p(q.limit ?? 1000)} offset ${p(q.offset ?? 0)}`;
  const { rows } = await db.query<FindingRow>(sql, params);
  return rows.map(toFinding);
}

export async function setTakedownStatus(db: Queryable, id: number, status: TakedownStatus): Promise<void> {
  await db.query('update findings set takedown_status = $2 where id = $1', [id, status]);
}

export async function recordHop(db: Queryable, hop: Hop): Promise<boolean> {
  const { rows } = await db.query<{ created: boolean }>(
    `insert into discovered_sites (host, site_id, family, via_host, signals, confidence) values ($1, $2, $3, $4, $5, $6)
     on conflict (host) do update set last_seen = now(), signals = excluded.signals, confidence = greatest(discovered_sites.confidence, excluded.confidence)
     returning (xmax = 0) as created`,
    [hop.host, hop.site.id, hop.site.family, hop.via, JSON.stringify(hop.signals), hop.confidence],
  );
  return rows[0]!.created;
}

/** Discovered hosts as directory entries: the host joins the site (and family) it hopped from. */
export async function loadHops(db: Queryable, sites: readonly SiteEntry[]): Promise<[string, SiteEntry][]> {
  const { rows } = await db.query<{ host: string; site_id: string; family: string }>('select host, site_id, family from discovered_sites');
  return rows.map((r) => {
    const site = sites.find((s) => s.id === r.site_id) ?? { id: r.site_id, type: 'piracy' as const, family: r.family, domains: [] };
    return [r.host, site];
  });
}

export async function saveProfile(db: Queryable, profile: HostProfile, siteId?: string): Promise<void> {
  await db.query(
    `insert into host_profiles (host, site_id, tracking_ids, favicon_hash, structure) values ($1, $2, $3, $4, $5)
     on conflict (host) do update set site_id = coalesce(excluded.site_id, host_profiles.site_id), tracking_ids = excluded.tracking_ids,
       favicon_hash = coalesce(excluded.favicon_hash, host_profiles.favicon_hash), structure = excluded.structure, updated_at = now()`,
    // Shingle hashes are unsigned 32-bit; the column is a signed integer.
    [profile.host, siteId ?? null, profile.trackingIds, profile.faviconHash ?? null, profile.structure.map((h) => h | 0)],
  );
}

export async function loadProfiles(db: Queryable): Promise<HostProfile[]> {
  const { rows } = await db.query<{ host: string; tracking_ids: string[]; favicon_hash: string | null; structure: number[] }>(
    'select host, tracking_ids, favicon_hash, structure from host_profiles');
  return rows.map((r) => ({
    host: r.host, trackingIds: r.tracking_ids, structure: r.structure.map((h) => h >>> 0).sort((a, b) => a - b), ...(r.favicon_hash ? { faviconHash: r.favicon_hash } : {}),
  }));
}
