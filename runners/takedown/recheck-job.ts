import type pg from 'pg';
import { takedownSettings } from '../../core/catalog/takedown-policy.js';
import type { ContentSpec } from '../../core/catalog/types.js';
import type { Config } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { findingById, type Finding } from '../../core/db/findings.js';
import { linkCheckRecorded, recordLinkCheck, takedownRound, type AfterCheck, type ObservedCheck } from '../../core/db/link-checks.js';
import { appliedPolicy } from '../../core/db/policy.js';
import type { Logger } from '../../core/log.js';
import type { RecheckPayload } from '../../core/queues.js';
import type { References } from '../monitor/confirm.js';
import { createFetcher, parseResolve, type Fetcher } from '../monitor/fetch.js';
import { referencesFor } from '../monitor/references-store.js';
import { recheckLink, type RecheckResult } from './recheck.js';

/**
 * The takedown queue's 'recheck' job: after a notice went, is the link gone? Only a finding still
 * In Progress is checked; the check (recheck.ts, no record touched) runs outside any transaction,
 * then core/db/link-checks.ts records it and does what it leads to (Complete, Failed, or the next
 * re-check owed `everyMinutes` later) in one transaction.
 */

export interface RecheckJobDeps {
  pool: pg.Pool;
  log: Logger;
  /** The safe fetcher (SSRF rules, bounds). */
  fetch: Fetcher;
  /** The reference fingerprints of the finding's content, when it has reference media. */
  references(finding: Finding): Promise<References | undefined>;
  now?: () => Date;
  /** Bounds of the page fetch (recheck.ts defaults otherwise). */
  timeoutMs?: number;
  maxPageBytes?: number;
}

export type RecheckJobResult =
  | { status: 'skipped'; reason: string }
  | { status: 'checked'; outcome: RecheckResult['verdict']; why: string; then: 'Complete' | 'Failed' | 'again'; nextAt?: string; reason: string };

/** The payload is checked once, here at the edge: a wrong one fails at once, without retries. */
export function recheckPayloadOf(data: unknown): RecheckPayload {
  const p = data as Partial<RecheckPayload> | null;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (typeof p !== 'object' || p === null || !whole(p.findingId) || !whole(p.check) || (p.round !== undefined && !whole(p.round))) {
    throw new VigilError('JOB_PAYLOAD_INVALID', `a recheck job needs { findingId: integer ≥ 1, check: integer ≥ 1, round?: integer ≥ 1 }, got ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return { findingId: p.findingId, check: p.check, ...(p.round === undefined ? {} : { round: p.round }) };
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

function resultOf(r: RecheckResult, next: AfterCheck): RecheckJobResult {
  if (next.do === 'again') return { status: 'checked', outcome: r.verdict, why: r.why, then: 'again', nextAt: next.runAt.toISOString(), reason: reasonOf(r) };
  return { status: 'checked', outcome: r.verdict, why: r.why, then: next.do === 'complete' ? 'Complete' : 'Failed', reason: next.reason };
}

export async function runRecheckJob(deps: RecheckJobDeps, payload: RecheckPayload): Promise<RecheckJobResult> {
  const { findingId, check } = payload;
  const log = deps.log.child({ findingId, check, ...(payload.round === undefined ? {} : { round: payload.round }) });
  // What the check needs to know first, read side by side (separate connections): one wait, not three.
  const [finding, round, policy] = await Promise.all([findingById(deps.pool, findingId), takedownRound(deps.pool, findingId), appliedPolicy(deps.pool)]);
  if (!finding) {
    log.warn('re-check of a finding that does not exist; nothing done');
    return { status: 'skipped', reason: `no finding ${findingId}` };
  }
  if (finding.takedownStatus !== 'In Progress') {
    log.info({ takedownStatus: finding.takedownStatus }, 're-check skipped: the finding is no longer In Progress');
    return { status: 'skipped', reason: `the finding is ${finding.takedownStatus}, not In Progress` };
  }
  // A job run again after its commit (or one left from an earlier takedown) needs no fetch.
  if (payload.round !== undefined && payload.round !== round) {
    log.info({ currentRound: round }, 're-check skipped: it belongs to an earlier takedown of this finding');
    return { status: 'skipped', reason: `re-check of takedown ${payload.round}; the finding is on takedown ${round}` };
  }
  if (await linkCheckRecorded(deps.pool, findingId, check, round)) {
    log.info('re-check skipped: already recorded');
    return { status: 'skipped', reason: `re-check ${check} is recorded already` };
  }
  const settings = takedownSettings(policy);
  const matchDistance = policy.thresholds?.matchDistance;
  const references = await deps.references(finding);
  const now = deps.now ?? (() => new Date());
  const result = await recheckLink(finding, {
    fetch: deps.fetch, now,
    ...(references === undefined ? {} : { references }),
    ...(matchDistance === undefined ? {} : { matchDistance }),
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
    ...(deps.maxPageBytes === undefined ? {} : { maxPageBytes: deps.maxPageBytes }),
  });
  const recorded = await recordLinkCheck(deps.pool, { findingId, n: check, round, at: now(), observed: observed(result) }, settings.recheck);
  if (!recorded.recorded) {
    // Someone acted on the finding (or another run recorded this check) while the page was fetched.
    log.info({ skipped: recorded.skipped, takedownStatus: recorded.takedownStatus }, 're-check not recorded');
    return { status: 'skipped', reason: recorded.skipped === 'not-in-progress' ? `the finding became ${recorded.takedownStatus} during the check` : recorded.skipped };
  }
  const out = resultOf(result, recorded.next);
  log.info({ outcome: out.status === 'checked' ? out.outcome : undefined, why: result.why, then: out.status === 'checked' ? out.then : undefined, url: finding.url }, 'link re-checked');
  return out;
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
    async references(finding) {
      const spec = await contentSpecOf(pool, finding.contentId);
      if (!spec?.referenceMedia?.length) return undefined;
      const { references, missing } = await referencesFor(pool, finding.contentId, spec, config.mediaRoot);
      if (missing.length > 0) log.warn({ content: finding.contentId, missing }, 'reference media not found; the re-check compares what is there');
      return references.video.length > 0 ? references : undefined;
    },
  };
}
