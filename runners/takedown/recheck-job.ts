import type pg from 'pg';
import { takedownSettings } from '../../core/catalog/takedown-policy.js';
import type { ContentSpec } from '../../core/catalog/types.js';
import type { Config } from '../../core/config.js';
import { mapLimit } from '../../core/concurrency.js';
import { noticeLinksToCheck, recordLinkChecks, type AfterCheck, type CheckToRecord, type LinkSkip, type NoticeLink, type ObservedCheck } from '../../core/db/link-checks.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { RecheckPayload } from '../../core/queues.js';
import type { References } from '../monitor/confirm.js';
import { createFetcher, parseResolve, type Fetcher } from '../monitor/fetch.js';
import { referencesFor } from '../monitor/references-store.js';
import { recheckLink, type RecheckResult } from './recheck.js';

/**
 * The takedown queue's 'recheck' job: after a notice went, are its links gone? One job per notice
 * and check. Only the notice's findings still In Progress in the takedown it started are checked;
 * the checks (recheck.ts, no record touched) run outside any transaction, `linkConcurrency` at a
 * time (a notice's links are one contact's, mostly one host's: a bound keeps the re-check polite),
 * then core/db/link-checks.ts records them all and does what each leads to (Complete, Failed, or
 * the notice's next re-check owed `everyMinutes` later) in one transaction.
 *
 * A worker killed mid-check loses nothing: nothing is recorded until the checks are in, and the job
 * run again checks only the links whose check is not recorded (the record is decided under the
 * findings' locks, so a check is never counted twice). A link whose check threw is left unrecorded
 * while the others are recorded, and the job fails so that BullMQ tries again for that link.
 */

export interface RecheckJobDeps {
  pool: pg.Pool;
  log: Logger;
  /** The safe fetcher (SSRF rules, bounds). */
  fetch: Fetcher;
  /** The reference fingerprints of a content, when it has reference media (read once per content and job). */
  references(contentId: string): Promise<References | undefined>;
  now?: () => Date;
  /** Bounds of the page fetch (recheck.ts defaults otherwise). */
  timeoutMs?: number;
  maxPageBytes?: number;
  /** Links of one notice checked at once (default LINK_CONCURRENCY). */
  linkConcurrency?: number;
}

/** A notice's links in flight at once: a notice goes to one contact, so they are mostly one host's. */
export const LINK_CONCURRENCY = 8;

export interface LinkRecheck {
  findingId: number;
  outcome: RecheckResult['verdict'];
  why: string;
  then: 'Complete' | 'Failed' | 'again';
  reason: string;
}

export type RecheckJobResult =
  | { status: 'skipped'; reason: string }
  | { status: 'checked'; notice: number; check: number; links: LinkRecheck[]; skipped: { findingId: number; skip: LinkSkip | 'not-listed' }[]; nextAt?: string };

/**
 * A re-check job from before one job per notice: { findingId, check, round? }, one per link. Such
 * jobs may still wait in Redis when a worker of this version starts; each is read as the check of
 * the latest notice that lists its finding, which checks the finding (and any link of that notice
 * owed the same check, whose own old job then finds it recorded), so none is lost.
 */
export interface LegacyRecheckPayload { findingId: number; check: number }

/** The payload is checked once, here at the edge: a wrong one fails at once, without retries. */
export function recheckPayloadOf(data: unknown): RecheckPayload | LegacyRecheckPayload {
  const p = data as Partial<RecheckPayload & LegacyRecheckPayload> | null;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (typeof p === 'object' && p !== null && whole(p.check)) {
    if (whole(p.noticeId)) return { noticeId: p.noticeId, check: p.check };
    if (whole(p.findingId)) return { findingId: p.findingId, check: p.check };
  }
  throw new VigilError('JOB_PAYLOAD_INVALID', `a recheck job needs { noticeId: integer ≥ 1, check: integer ≥ 1 }, got ${JSON.stringify(data)?.slice(0, 200)}`);
}

/** The notice a legacy per-link job belongs to: the latest one listing its finding. */
async function noticePayloadFor(db: Pick<pg.Pool, 'query'>, p: RecheckPayload | LegacyRecheckPayload): Promise<RecheckPayload | undefined> {
  if ('noticeId' in p) return p;
  const { rows } = await db.query<{ notice_id: string }>('select max(notice_id) as notice_id from notice_findings where finding_id = $1', [p.findingId]);
  const noticeId = rows[0]?.notice_id;
  return noticeId === null || noticeId === undefined ? undefined : { noticeId: Number(noticeId), check: p.check };
}

const short = (s: string, max = 300): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** One line for a person (the audit row, the Slack card, the evidence pack) from what the re-check saw. */
export function reasonOf(r: RecheckResult): string {
  const e = r.evidence;
  const media = e.media;
  switch (r.why) {
    case '404': case '410': case '451': return `HTTP ${r.why} at ${e.url}`;
    case 'removed-page': return `a removed-file page (${short((e.removedPage?.signals ?? []).slice(0, 3).join('; ') || `final URL ${e.finalUrl ?? e.url}`, 200)})`;
    case 'media-changed': return `the media at ${media?.url ?? e.url} no longer matches the reference${media?.distance === undefined ? '' : ` (distance ${media.distance})`}`;
    case 'no-media': return `the media at ${media?.url ?? e.url} is gone (${short(media?.reason ?? 'HTTP 404/410', 120)})`;
    case 'media-matches': return `the media at ${media?.url ?? e.url} still matches the reference${media?.distance === undefined ? '' : ` (distance ${media.distance})`}`;
    case 'page-up': return `the page still answers HTTP ${e.status ?? '200'} with no sign of removal${media ? '' : ' (no reference media to compare)'}`;
    case 'media-unchecked': return `the page is up but its media could not be compared (${short(media?.reason ?? 'unavailable', 160)})`;
    default: return `${r.why}: ${short(e.message ?? `HTTP ${e.status ?? '?'}`, 200)}`;
  }
}

function observed(r: RecheckResult): ObservedCheck {
  const { evidence } = r;
  return {
    outcome: r.verdict, why: r.why, reason: reasonOf(r),
    ...(evidence.status === undefined ? {} : { httpStatus: evidence.status }), ...(evidence.finalUrl === undefined ? {} : { finalUrl: evidence.finalUrl }),
    evidence: evidence as unknown as Record<string, unknown>,
  };
}

function linkResultOf(findingId: number, r: RecheckResult, next: AfterCheck): LinkRecheck {
  if (next.do === 'again') return { findingId, outcome: r.verdict, why: r.why, then: 'again', reason: reasonOf(r) };
  return { findingId, outcome: r.verdict, why: r.why, then: next.do === 'complete' ? 'Complete' : 'Failed', reason: next.reason };
}

export async function runRecheckJob(deps: RecheckJobDeps, job: RecheckPayload | LegacyRecheckPayload): Promise<RecheckJobResult> {
  const payload = await noticePayloadFor(deps.pool, job);
  if (!payload) return { status: 'skipped', reason: `finding ${(job as LegacyRecheckPayload).findingId} is listed in no notice` };
  const { noticeId, check } = payload;
  const log = deps.log.child({ noticeId, check });
  // The notice's links as this check sees them and the Policy, side by side: one wait, not two.
  const [{ due, skipped }, policy] = await Promise.all([noticeLinksToCheck(deps.pool, noticeId, check), appliedPolicy(deps.pool)]);
  for (const { link, skip } of skipped) log.debug({ findingId: link.findingId, skip, takedownStatus: link.takedownStatus }, 're-check of a link skipped');
  if (due.length === 0) {
    log.info({ skipped: skipped.length }, 're-check: no link of the notice is owed it');
    return { status: 'skipped', reason: skipped.length === 0 ? `notice ${noticeId} lists no finding` : `no link of notice ${noticeId} is owed re-check ${check} (${summary(skipped.map((s) => s.skip))})` };
  }
  const settings = takedownSettings(policy);
  const matchDistance = policy.thresholds?.matchDistance;
  const now = deps.now ?? (() => new Date());
  // Each content's references read once for the notice, whatever the number of its links.
  const references = new Map<string, Promise<References | undefined>>();
  const referencesOf = (contentId: string): Promise<References | undefined> => {
    if (!references.has(contentId)) references.set(contentId, deps.references(contentId));
    return references.get(contentId)!;
  };
  const checkOne = async (link: NoticeLink): Promise<{ link: NoticeLink; result: RecheckResult; at: Date }> => {
    const refs = await referencesOf(link.contentId);
    const result = await recheckLink(link, {
      fetch: deps.fetch, now,
      ...(refs === undefined ? {} : { references: refs }),
      ...(matchDistance === undefined ? {} : { matchDistance }),
      ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
      ...(deps.maxPageBytes === undefined ? {} : { maxPageBytes: deps.maxPageBytes }),
    });
    return { link, result, at: now() };
  };
  // Every link runs: one link's failure does not stop the others' checks.
  const settled = await mapLimit(due, deps.linkConcurrency ?? LINK_CONCURRENCY, async (link) => {
    try { return { ok: true as const, value: await checkOne(link) }; } catch (error) { return { ok: false as const, error }; }
  });
  const done = settled.flatMap((s) => (s.ok ? [s.value] : []));
  const byFinding = new Map(done.map((d) => [d.link.findingId, d]));
  const checks: CheckToRecord[] = done.map((d) => ({ findingId: d.link.findingId, at: d.at, observed: observed(d.result) }));
  const recorded = await recordLinkChecks(deps.pool, { noticeId, check, at: now(), checks }, settings.recheck);
  const links = recorded.recorded.map((r) => linkResultOf(r.findingId, byFinding.get(r.findingId)!.result, r.next));
  for (const l of links) log.info({ findingId: l.findingId, outcome: l.outcome, why: l.why, then: l.then, url: byFinding.get(l.findingId)!.link.url }, 'link re-checked');
  // Someone acted on a finding (or another run recorded its check) while the link was fetched.
  for (const s of recorded.skipped) log.info({ findingId: s.findingId, skip: s.skip, takedownStatus: s.takedownStatus }, 're-check not recorded');
  const failed = settled.flatMap((s, i) => (s.ok ? [] : [{ findingId: due[i]!.findingId, error: s.error }]));
  if (failed.length > 0) {
    // The checks made are recorded; the job fails so that BullMQ runs it again for the rest only.
    log.warn({ failed: failed.map((f) => f.findingId), recorded: links.length }, 're-check of some links threw; the job is tried again for them');
    throw failed[0]!.error;
  }
  log.info({ checked: links.length, skipped: skipped.length + recorded.skipped.length, nextAt: recorded.nextAt?.toISOString() }, 'notice re-checked');
  return {
    status: 'checked', notice: noticeId, check, links,
    skipped: [...skipped.map((s) => ({ findingId: s.link.findingId, skip: s.skip })), ...recorded.skipped.map((s) => ({ findingId: s.findingId, skip: s.skip }))],
    ...(recorded.nextAt ? { nextAt: recorded.nextAt.toISOString() } : {}),
  };
}

/** "3 not-in-progress, 1 already-recorded": why the links were skipped, for a person. */
function summary(skips: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of skips) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

/** The applied Content of a finding (a retired one keeps its last spec). */
async function contentSpecOf(db: Pick<pg.Pool, 'query'>, contentId: string): Promise<ContentSpec | undefined> {
  const { rows } = await db.query<{ spec: ContentSpec }>(
    `select spec from catalog_objects where kind = 'Content' and id = $1 order by deleted_at nulls first limit 1`, [contentId]);
  return rows[0]?.spec;
}

/** What a takedown worker gives the job: the crawler's fetcher rules and the references kept in PostgreSQL. */
export function recheckJobDeps(config: Pick<Config, 'crawler' | 'mediaRoot'>, pool: pg.Pool, log: Logger, signal?: AbortSignal): RecheckJobDeps {
  return {
    pool, log,
    fetch: createFetcher({ allowPrivate: config.crawler.allowPrivate, resolve: parseResolve(config.crawler.resolve), ...(signal ? { signal } : {}) }),
    async references(contentId) {
      const spec = await contentSpecOf(pool, contentId);
      if (!spec?.referenceMedia?.length) return undefined;
      const { references, missing } = await referencesFor(pool, contentId, spec, config.mediaRoot);
      if (missing.length > 0) log.warn({ content: contentId, missing }, 'reference media not found; the re-check compares what is there');
      return references.video.length > 0 ? references : undefined;
    },
  };
}
