import type pg from 'pg';
import { findingById, type Finding } from '../core/db/findings.js';
import { findingPage, type PageCapture } from '../core/db/finding-pages.js';
import { linkChecksOf, type LinkCheck } from '../core/db/link-checks.js';
import { noticesForFinding, type NoticeRecord } from '../core/db/notices.js';

/**
 * What the web view reads of the records, beyond the core functions it calls as they are. It writes
 * nothing: actions stay in Slack and in git, and the pages link to them.
 */

export type Queryable = Pick<pg.Pool, 'query'>;

export interface AuditEntryView {
  id: number;
  at: Date;
  actor: string;
  action: string;
  reason: string;
  details: unknown;
}

export interface FindingDetail {
  finding: Finding;
  page: PageCapture | undefined;
  checks: LinkCheck[];
  notices: NoticeRecord[];
  audit: AuditEntryView[];
  /** The Slack card of the finding, when the poster recorded where it went. */
  slackCard: { channelId: string; ts: string; threadTs: string | null } | undefined;
  /** Where the Content it leaks is written in the catalog (relative to the catalog folder). */
  contentSource: { title: string; file: string | null; line: number | null; commit: string | null } | undefined;
}

export async function findingDetail(db: Queryable, id: number): Promise<FindingDetail | undefined> {
  const finding = await findingById(db, id);
  if (!finding) return undefined;
  const [page, checks, notices, audit, card, content] = await Promise.all([
    findingPage(db, id),
    linkChecksOf(db, id),
    noticesForFinding(db, id),
    db.query<{ id: string; at: Date; actor: string; action: string; reason: string; details: unknown }>(
      `select id, at, actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = $1 order by id`, [String(id)]),
    db.query<{ channel_id: string | null; ts: string | null; thread_ts: string | null }>(
      `select s.channel_id, c.ts, s.ts as thread_ts from chat_cards c join chat_summaries s on s.id = c.summary_id where c.finding_id = $1`, [id]),
    db.query<{ title: string; source_file: string | null; source_line: number | null; applied_commit: string | null }>(
      `select spec->>'title' as title, source_file, source_line, applied_commit from catalog_objects where kind = 'Content' and id = $1 order by deleted_at nulls first limit 1`,
      [finding.contentId]),
  ]);
  const c = card.rows[0];
  const co = content.rows[0];
  return {
    finding, page, checks, notices,
    audit: audit.rows.map((r) => ({ id: Number(r.id), at: r.at, actor: r.actor, action: r.action, reason: r.reason, details: r.details })),
    slackCard: c?.channel_id && c.ts ? { channelId: c.channel_id, ts: c.ts, threadTs: c.thread_ts } : undefined,
    contentSource: co ? { title: co.title, file: co.source_file, line: co.source_line, commit: co.applied_commit } : undefined,
  };
}

/** What the filter form offers to choose from: the titles and site families the records know. */
export async function filterChoices(db: Queryable): Promise<{ contents: { id: string; title: string }[]; families: string[] }> {
  const [contents, families] = await Promise.all([
    db.query<{ id: string; title: string }>(`select id, spec->>'title' as title from catalog_objects where kind = 'Content' and deleted_at is null order by id`),
    db.query<{ family: string }>(
      `select spec->>'family' as family from catalog_objects where kind = 'Site' and deleted_at is null and spec ? 'family'
       union select family from discovered_sites order by 1`),
  ]);
  return { contents: contents.rows, families: families.rows.map((r) => r.family) };
}

export interface WeeklyCounts {
  /** Week (its Monday, UTC, yyyy-MM-dd) -> findings first seen that week. */
  found: Map<string, number>;
  /** Week -> findings whose takedown went Complete that week (the link was confirmed gone). */
  removed: Map<string, number>;
}

export async function weeklyCounts(db: Queryable, since: Date): Promise<WeeklyCounts> {
  const [found, removed] = await Promise.all([
    db.query<{ week: string; n: number }>(
      `select to_char(date_trunc('week', first_seen at time zone 'UTC'), 'YYYY-MM-DD') as week, count(*)::int as n
       from findings where first_seen >= $1 group by 1`, [since]),
    db.query<{ week: string; n: number }>(
      `select to_char(date_trunc('week', at at time zone 'UTC'), 'YYYY-MM-DD') as week, count(distinct object_id)::int as n
       from audit_log where action = 'takedown-status' and details->>'to' = 'Complete' and at >= $1 group by 1`, [since]),
  ]);
  return { found: new Map(found.rows.map((r) => [r.week, r.n])), removed: new Map(removed.rows.map((r) => [r.week, r.n])) };
}

export interface SiteHostRow { host: string; family: string; siteId: string; kind: 'catalog' | 'hop'; via: string | null; confidence: number | null; discoveredAt: Date | null }

/** Every host of a site family: the catalog Sites' domains and the hosts hop detection linked to them. */
export async function familyHosts(db: Queryable): Promise<SiteHostRow[]> {
  const { rows } = await db.query<{ host: string; family: string; site_id: string; kind: 'catalog' | 'hop'; via: string | null; confidence: number | null; discovered_at: Date | null }>(
    `select d.domain as host, o.spec->>'family' as family, o.id as site_id, 'catalog' as kind, null as via, null::real as confidence, null::timestamptz as discovered_at
       from catalog_objects o cross join lateral jsonb_array_elements_text(o.spec->'domains') d(domain)
      where o.kind = 'Site' and o.deleted_at is null and o.spec ? 'family'
     union all
     select host, family, site_id, 'hop', via_host, confidence, discovered_at from discovered_sites
     order by 2, 4, 1`);
  return rows.map((r) => ({ host: r.host, family: r.family, siteId: r.site_id, kind: r.kind, via: r.via, confidence: r.confidence, discoveredAt: r.discovered_at }));
}

export interface MonitoringJobView {
  id: string; contentId: string; title: string | null; tier: string; detection: string; takedown: string;
  startDate: string; stopDate: string | null; everyMs: number; status: string; statusReason: string; statusSince: Date;
  findings: number; lastFinding: Date | null;
}

export async function monitoringJobs(db: Queryable): Promise<MonitoringJobView[]> {
  const { rows } = await db.query<{
    id: string; content_id: string; title: string | null; tier: string; detection: string; takedown: string; start_date: string; stop_date: string | null;
    every_ms: string; status: string; status_reason: string; status_since: Date; findings: number; last_finding: Date | null;
  }>(
    `select j.id, j.content_id, c.spec->>'title' as title, j.tier, j.detection, j.takedown, to_char(j.start_date, 'YYYY-MM-DD') as start_date,
            to_char(j.stop_date, 'YYYY-MM-DD') as stop_date, j.every_ms, j.status, j.status_reason, j.status_since,
            coalesce(f.n, 0)::int as findings, f.last as last_finding
       from monitoring_jobs j
       left join catalog_objects c on c.kind = 'Content' and c.id = j.content_id
       left join lateral (select count(*) as n, max(first_seen) as last from findings where monitoring_job_id = j.id) f on true
      order by j.id`);
  return rows.map((r) => ({
    id: r.id, contentId: r.content_id, title: r.title, tier: r.tier, detection: r.detection, takedown: r.takedown, startDate: r.start_date, stopDate: r.stop_date,
    everyMs: Number(r.every_ms), status: r.status, statusReason: r.status_reason, statusSince: r.status_since, findings: r.findings, lastFinding: r.last_finding,
  }));
}

export interface DetectionView {
  findingId: number; contentId: string; url: string; status: string; result: Record<string, unknown>; at: Date;
}

export interface LinkDetectionView {
  id: number; url: string; status: string; requestedBy: string; result: Record<string, unknown> | null; reason: string; requestedAt: Date; finishedAt: Date | null;
}

/** The last detections: on findings (evidence.detection) and on links people asked about (detection_requests). */
export async function detections(db: Queryable, limit: number): Promise<{ findings: DetectionView[]; links: LinkDetectionView[] }> {
  const [findings, links] = await Promise.all([
    db.query<{ id: number; content_id: string; url: string; detection_status: string; result: Record<string, unknown>; last_seen: Date }>(
      `select id, content_id, url, detection_status, evidence->'detection' as result, last_seen from findings
        where evidence ? 'detection' order by id desc limit $1`, [limit]),
    db.query<{ id: number; url: string; status: string; requested_by: string; result: Record<string, unknown> | null; reason: string; requested_at: Date; finished_at: Date | null }>(
      `select id, url, status, requested_by, result, reason, requested_at, finished_at from detection_requests order by id desc limit $1`, [limit]),
  ]);
  return {
    findings: findings.rows.map((r) => ({ findingId: Number(r.id), contentId: r.content_id, url: r.url, status: r.detection_status, result: r.result, at: r.last_seen })),
    links: links.rows.map((r) => ({ id: Number(r.id), url: r.url, status: r.status, requestedBy: r.requested_by, result: r.result, reason: r.reason, requestedAt: r.requested_at, finishedAt: r.finished_at })),
  };
}

export interface RevokedSessionView {
  id: string; watermarkId: number; viewer: string; contentId: string | null; packageName: string | null; issuedAt: Date; revokedAt: Date; by: string | null; reason: string | null;
}

/** Sessions revoked, latest first, with who revoked them and why (the session's audit row). */
export async function revokedSessions(db: Queryable, limit: number): Promise<RevokedSessionView[]> {
  const { rows } = await db.query<{ id: string; watermark_id: string; viewer: string; content_id: string | null; package: string | null; issued_at: Date; revoked_at: Date; actor: string | null; reason: string | null }>(
    `select s.id, s.watermark_id, s.viewer, s.content_id, s.package, s.issued_at, s.revoked_at, a.actor, a.reason
       from streaming_sessions s
       left join lateral (select actor, reason from audit_log where object_kind = 'StreamingSession' and object_id = s.id order by id desc limit 1) a on true
      where s.revoked_at is not null order by s.revoked_at desc limit $1`, [limit]);
  return rows.map((r) => ({
    id: r.id, watermarkId: Number(r.watermark_id), viewer: r.viewer, contentId: r.content_id, packageName: r.package, issuedAt: r.issued_at, revokedAt: r.revoked_at, by: r.actor, reason: r.reason,
  }));
}
