import { VigilError } from '../../core/errors.js';
import { createConfirmer, type References } from '../monitor/confirm.js';
import type { FetchResult, Fetcher } from '../monitor/fetch.js';
import { parseHtml } from '../monitor/html.js';
import type { Page } from '../monitor/sources/types.js';
import { classifyRemovedPage, type RemovedPageVerdict } from './removed-page.js';

/**
 * The re-check after a takedown notice: is the link gone? Through the crawler's safe fetcher only.
 * Gone is said only on evidence (HTTP 404 or 410, a "file removed" page, the media at the link no
 * longer matching the reference fingerprints, or the media itself answering 404/410); a server
 * error, a timeout or a refused address says nothing either way and is 'unknown', so the lead's
 * lifecycle neither completes nor fails a finding on it.
 */

export type GoneWhy = '404' | '410' | '451' | 'removed-page' | 'media-changed' | 'no-media';
export type UpWhy = 'media-matches' | 'page-up';
export type UnknownWhy = 'server-error' | 'timeout' | 'blocked' | 'network-error' | 'too-large' | 'http-error' | 'media-unchecked';

export interface RecheckEvidence {
  url: string;
  checkedAt: string;
  finalUrl?: string;
  status?: number;
  redirects?: FetchResult['redirects'];
  bytes?: number;
  title?: string;
  removedPage?: RemovedPageVerdict;
  /** The media compared again, and what the comparison said. */
  media?: { url: string; verdict: 'match' | 'no-match' | 'unavailable'; distance?: number; reason?: string };
  message?: string;
}

export type RecheckResult =
  | { verdict: 'gone'; why: GoneWhy; evidence: RecheckEvidence }
  | { verdict: 'up'; why: UpWhy; evidence: RecheckEvidence }
  | { verdict: 'unknown'; why: UnknownWhy; evidence: RecheckEvidence };

/** What of a finding the re-check reads (core/db/findings.ts Finding has it). */
export interface RecheckedFinding {
  url: string;
  evidence: Record<string, unknown>;
}

export interface RecheckDeps {
  /** The safe fetcher (createFetcher): SSRF rules, bounded bytes, redirects and time. */
  fetch: Fetcher;
  /** The content's reference fingerprints (references-store.ts); without them media is not compared. */
  references?: References;
  matchDistance?: number;
  /** Bounds of the page fetch (defaults: 2 MB, 15 s); the media download keeps confirm.ts's own. */
  maxPageBytes?: number;
  timeoutMs?: number;
  maxMediaBytes?: number;
  now?: () => Date;
}

const PAGE_TYPES = ['text/html', 'application/xhtml+xml', 'text/plain'];

/**
 * The fetcher fails every HTTP error status with "HTTP NNN" at the end of its message (rdap.ts reads
 * it the same way); a status field on the error would be better, and this is the one place to change.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof VigilError) || error.errorName !== 'FETCH_FAILED') return undefined;
  const m = /HTTP (\d{3})$/.exec(error.message);
  return m ? Number(m[1]) : undefined;
}

function failureWhy(error: unknown): { verdict: 'gone'; why: GoneWhy } | { verdict: 'unknown'; why: UnknownWhy } {
  const status = httpStatusOf(error);
  if (status === 404) return { verdict: 'gone', why: '404' };
  if (status === 410) return { verdict: 'gone', why: '410' };
  // 451 Unavailable For Legal Reasons: the host blocked it on a legal demand (RFC 7725).
  if (status === 451) return { verdict: 'gone', why: '451' };
  if (status !== undefined) return { verdict: 'unknown', why: status >= 500 ? 'server-error' : 'http-error' };
  if (error instanceof VigilError && error.errorName === 'FETCH_BLOCKED') return { verdict: 'unknown', why: 'blocked' };
  if (error instanceof Error && /timed out/.test(error.message)) return { verdict: 'unknown', why: 'timeout' };
  if (error instanceof Error && /larger than \d+ bytes/.test(error.message)) return { verdict: 'unknown', why: 'too-large' };
  return { verdict: 'unknown', why: 'network-error' };
}

/** The media phase 2 matched (evidence.phase2.media), when the finding names one. */
export function findingMedia(finding: RecheckedFinding): { url: string; kind: 'video' | 'hls' } | undefined {
  const phase2 = finding.evidence.phase2;
  if (typeof phase2 !== 'object' || phase2 === null) return undefined;
  const { media, kind } = phase2 as Record<string, unknown>;
  if (typeof media !== 'string' || !/^https?:\/\//i.test(media)) return undefined;
  return { url: media, kind: kind === 'hls' || /\.m3u8(\?|$)/i.test(media) ? 'hls' : 'video' };
}

/** The page's size when found, if the finding recorded it (evidence.page.bytes). */
function previousBytes(finding: RecheckedFinding): number | undefined {
  const page = finding.evidence.page;
  const bytes = typeof page === 'object' && page !== null ? (page as Record<string, unknown>).bytes : undefined;
  return typeof bytes === 'number' && bytes > 0 ? bytes : undefined;
}

/** Compares the media with the references the way phase 2 does (confirm.ts). */
async function compareMedia(deps: RecheckDeps, references: References, pageUrl: string, media: { url: string; kind: 'video' | 'hls' }): Promise<NonNullable<RecheckEvidence['media']>> {
  const confirm = createConfirmer({
    fetch: deps.fetch, references,
    ...(deps.matchDistance === undefined ? {} : { matchDistance: deps.matchDistance }),
    ...(deps.maxMediaBytes === undefined ? {} : { maxMediaBytes: deps.maxMediaBytes }),
  });
  const page: Page = { url: pageUrl, title: '', text: '', source: 'web', sourceUrl: pageUrl, redirects: [], links: [], media: [media] };
  // The confirmer reads only the page's media; the score is phase 1's and has no part in a re-check.
  const v = await confirm({ page, score: { score: 0, namesContent: true, piracyEvidence: 0, matches: [], episodes: [] } });
  if (v.verdict === 'match') return { url: media.url, verdict: 'match', distance: v.distance };
  if (v.verdict === 'no-match') return { url: media.url, verdict: 'no-match', reason: v.reason, ...(v.distance === undefined ? {} : { distance: v.distance }) };
  return { url: media.url, verdict: 'unavailable', reason: v.reason };
}

/** The media named by an acquisition failure's message ("could not acquire the media: … HTTP 404"). */
function mediaGone(reason: string | undefined): boolean {
  return /HTTP (404|410)$/.test(reason ?? '');
}

export async function recheckLink(finding: RecheckedFinding, deps: RecheckDeps): Promise<RecheckResult> {
  const evidence: RecheckEvidence = { url: finding.url, checkedAt: (deps.now?.() ?? new Date()).toISOString() };
  const known = findingMedia(finding);
  const references = deps.references && deps.references.video.length > 0 ? deps.references : undefined;
  let res: FetchResult;
  try {
    res = await deps.fetch(finding.url, { accept: PAGE_TYPES, maxBytes: deps.maxPageBytes ?? 2 * 1024 * 1024, timeoutMs: deps.timeoutMs ?? 15_000 });
  } catch (error) {
    evidence.message = (error as Error).message;
    const status = httpStatusOf(error);
    if (status !== undefined) evidence.status = status;
    // The link is the media itself (a direct file): not a page, so compare it as phase 2 would.
    if (known && known.url === finding.url && /content type/.test(evidence.message) && references) {
      evidence.media = await compareMedia(deps, references, finding.url, known);
      return mediaVerdict(evidence);
    }
    return { ...failureWhy(error), evidence };
  }
  const html = res.text();
  Object.assign(evidence, { finalUrl: res.finalUrl, status: res.status, redirects: res.redirects, bytes: res.body.length });
  const features = parseHtml(html, res.finalUrl);
  evidence.title = features.title;
  const prev = previousBytes(finding);
  evidence.removedPage = classifyRemovedPage({
    html, requestedUrl: finding.url, finalUrl: res.finalUrl, hadMedia: known !== undefined, ...(prev === undefined ? {} : { previousBytes: prev }),
  });
  if (evidence.removedPage.removed) return { verdict: 'gone', why: 'removed-page', evidence };
  if (!known || !references) return { verdict: 'up', why: 'page-up', evidence };

  // The media phase 2 matched, if the page still names it; else what the page serves now; else
  // (a player set up by script names no URL in the markup) the matched URL itself.
  const video = features.media.filter((m): m is { url: string; kind: 'video' | 'hls' } => m.kind !== 'image');
  const media = video.find((m) => m.url === known.url) ?? video[0] ?? known;
  evidence.media = await compareMedia(deps, references, res.finalUrl, media);
  return mediaVerdict(evidence);
}

function mediaVerdict(evidence: RecheckEvidence): RecheckResult {
  const m = evidence.media!;
  if (m.verdict === 'match') return { verdict: 'up', why: 'media-matches', evidence };
  if (m.verdict === 'no-match') return { verdict: 'gone', why: 'media-changed', evidence };
  if (mediaGone(m.reason)) return { verdict: 'gone', why: 'no-media', evidence };
  return { verdict: 'unknown', why: 'media-unchecked', evidence };
}
