import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { initialStatuses, recordFinding, recordSuspect } from '../../core/db/findings.js';
import { discoveredSites, hostProfiles, recordDiscoveredSite, saveHostProfile } from '../../core/db/sites.js';
import type { CatalogDocument, ContentSpec, MonitoringJobSpec } from '../../core/catalog/types.js';
import { traced, type Logger } from '../../core/log.js';
import { roundFindings, roundSuspects } from '../../core/metrics.js';
import { redact, redactedMessage } from '../../core/redact.js';
import { faviconHash } from './favicon.js';
import type { Fetcher } from './fetch.js';
import { detectHop, guessedHopNames, isAllowListed, mentionedHopHosts, mergeProfile, siteDirectory, siteOfHost, type Hop, type HopEvidence, type HostProfile, type SiteDirectory, type SiteEntry } from './families.js';
import { followBudget, leadsOf } from './follow.js';
import { deriveKeywords, officialServiceNames, type KeywordList } from './keywords.js';
import { DEFAULT_SUSPECT_SCORE, isSuspect, scorePage, type PageScore } from './score.js';
import { sourceFor } from './sources/index.js';
import { checkTorrents } from './torrent-check.js';
import type { Page, Source } from './sources/types.js';
import { crawlWeb, webSource, type WebCrawlOptions } from './sources/web.js';
import type { SourceContext } from './sources/types.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import { mapLimit } from '../../core/concurrency.js';
import { domainLabel } from './url.js';

/**
 * One crawl round for one content: every source of the watched sites (plus extra seeds) yields pages;
 * hosts no site claims are tested for domain hops; phase 1 scores each page and shortlists suspects;
 * phase 2 (a Confirmer) checks the media behind each suspect. A confirmed match is a finding, a
 * suspect phase 2 could not check goes to the review queue, a rejected one is dropped. Pages on
 * allow-listed sites are never suspects.
 */

export type Verdict =
  /** A torrent confirmed by its metadata (`confirmedBy`) has no media distance (NaN). */
  | { verdict: 'match'; distance: number; evidence: Record<string, unknown>; confirmedBy?: 'torrent-metadata' }
  | { verdict: 'no-match'; distance?: number; reason: string }
  | { verdict: 'unavailable'; reason: string };

export interface Suspect {
  page: Page;
  score: PageScore;
  site?: SiteEntry;
}

/** Phase 2: acquire the media behind a suspect and compare it with the reference fingerprints. */
export type Confirmer = (suspect: Suspect) => Promise<Verdict>;

export interface RoundInput {
  contentId: string;
  content: ContentSpec;
  job?: { id: string; spec: MonitoringJobSpec };
  sites: readonly CatalogDocument<'Site'>[];
  /** The catalog's other contents' names: a look-alike closer to one of them is not this content's (keywords.ts otherTitlesOf). */
  otherTitles?: readonly string[];
  /** Web seeds crawled besides the sites' own sources (vigil scan --seed). */
  seeds?: readonly string[];
  fetch: Fetcher;
  env?: Record<string, string | undefined>;
  /** VIGIL_SOURCE_ENV_PREFIX: sources read credentials only from variables with it (default VIGIL_SOURCE_). */
  credentialPrefix?: string;
  /** Where a failed source request is logged (its URL and message redacted). */
  log?: Logger;
  suspectScore?: number;
  web?: WebCrawlOptions;
  confirm?: Confirmer;
  /** Where findings, suspects, hops and host profiles are kept; a round without one only reports. */
  db?: pg.Pool;
  /** Who records what the round finds, for the audit log ('monitor', 'scan'). */
  actor?: string;
  /** Names this round: its new findings share one Slack summary thread (a fresh id when not given). */
  roundId?: string;
  signal?: AbortSignal;
}

export interface RoundFinding {
  url: string;
  siteId?: string;
  family?: string;
  score: number;
  /** Phase 2's media distance; none for a torrent confirmed by its metadata. */
  distance?: number;
  confirmedBy: 'media' | 'torrent-metadata';
  evidence: Record<string, unknown>;
  created?: boolean;
  id?: number;
}

export interface RoundResult {
  contentId: string;
  pages: number;
  /** `linkedFrom`: a page reached by following a link list, series or episode page (follow.ts). */
  suspects: { url: string; score: number; siteId?: string; verdict: Verdict['verdict']; reason?: string; linkedFrom?: string }[];
  findings: RoundFinding[];
  hops: Hop[];
  allowListedPages: number;
  errors: { url: string; message: string }[];
  keywords: KeywordList;
}

/** The terms indexers and search APIs are asked for: the title and its other names. */
export function queryTerms(content: ContentSpec): string[] {
  return [...new Set([content.title, ...(content.aliases ?? []), ...(content.localizedTitles ?? []).map((l) => l.title)])];
}

function sourcesOf(input: RoundInput): Source[] {
  const watched = input.job?.spec.sites;
  const sources: Source[] = [];
  for (const doc of input.sites) {
    if (doc.spec.type !== 'piracy') continue;
    if (watched && !watched.includes(doc.metadata.id)) continue;
    for (const s of doc.spec.sources ?? []) sources.push(sourceFor(s, input.web));
  }
  for (const seed of input.seeds ?? []) sources.push(webSource(seed, input.web));
  return sources;
}

/** Discovered hosts as directory entries: the host joins the site (and family) it hopped from. */
async function loadHops(db: pg.Pool, sites: readonly SiteEntry[]): Promise<[string, SiteEntry][]> {
  return (await discoveredSites(db)).map((r) => {
    const site = sites.find((s) => s.id === r.siteId) ?? { id: r.siteId, type: 'piracy' as const, family: r.family, domains: [] };
    return [r.host, site];
  });
}

/** A round id that says who ran it and when, unique across processes. */
export function newRoundId(actor: string, at = new Date()): string {
  return `${actor}-${at.toISOString()}-${randomUUID().slice(0, 8)}`;
}

export async function runRound(given: RoundInput): Promise<RoundResult> {
  const actor = given.actor ?? 'monitor';
  const roundId = given.roundId ?? newRoundId(actor);
  // Every line of the round carries its id (and the job's and content's): the start of a finding's trail.
  const input: RoundInput = { ...given, ...(given.log ? { log: traced(given.log, { roundId, contentId: given.contentId, ...(given.job ? { monitoringJobId: given.job.id } : {}) }) } : {}) };
  input.log?.info({ sources: sourcesOf(input).length }, 'monitoring round started');
  const keywords = deriveKeywords(input.contentId, input.content, { officialServices: officialServiceNames(input.sites), ...(input.otherTitles ? { otherTitles: input.otherTitles } : {}) });
  const siteDocs = [...input.sites];
  const base = siteDirectory(siteDocs);
  const directory = siteDirectory(siteDocs, input.db ? await loadHops(input.db, base.sites) : []);
  const errors: RoundResult['errors'] = [];
  const ctx = {
    fetch: input.fetch,
    ...(input.env ? { env: input.env } : {}),
    ...(input.credentialPrefix ? { credentialPrefix: input.credentialPrefix } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    onError: (url: string, error: unknown) => {
      // Redacted here too, not only by the logger: the errors travel on to `vigil scan` output and JSON.
      const failure = { url: redact(url), message: redactedMessage(error) };
      errors.push(failure);
      input.log?.warn({ content: input.contentId, ...failure, code: (error as { code?: unknown })?.code }, 'source request failed');
    },
  };

  // Collect every page of every source, concurrently across sources.
  const pages: Page[] = [];
  const profiles = new Map<string, HostProfile>();
  const favicons = new Map<string, Promise<string | undefined>>();
  const absorb = (page: Page): void => {
    pages.push(page);
    if (page.html) {
      const host = hostOf(page.url);
      if (!favicons.has(host)) favicons.set(host, faviconHash(input.fetch, page.url, page.html.favicon));
      profiles.set(host, mergeProfile(profiles.get(host), host, page.html));
    }
  };
  const results: Page[] = [];
  await Promise.all(sourcesOf(input).map(async (source) => {
    for await (const page of source.collect({ terms: queryTerms(input.content) }, ctx)) {
      if (page.source === 'search' || isFeedItemLink(page)) results.push(page); else absorb(page);
    }
  }));
  // A search result or a feed item is a pointer: visit it, so its text, template and media are read like any page.
  const visit = results.filter((p) => !isAllowListed(directory, hostOf(p.url)));
  const visited = new Set<string>();
  for await (const page of crawlWeb(visit.map((p) => p.url), { ...input.web, depth: 0, maxPages: Math.max(1, visit.length) }, ctx)) {
    const origin = visit.find((p) => p.url === (page.requestedUrl ?? page.url));
    visited.add(origin?.url ?? page.url);
    absorb({ ...page, source: origin?.source ?? 'search', sourceUrl: origin?.sourceUrl ?? page.sourceUrl, ...(origin?.torrents ? { torrents: origin.torrents } : {}) });
  }
  for (const r of results) if (!visited.has(r.url)) absorb(r);
  for await (const page of probeMentionedHosts(directory, pages, profiles, input, ctx)) absorb(page);
  for (const [host, hash] of favicons) {
    const h = await hash;
    const p = profiles.get(host);
    if (p && h) profiles.set(host, { ...p, faviconHash: h });
  }

  // Domain hops: hosts no site claims, against the profiles of hosts that are known piracy sites.
  const redirectsTo = new Map<string, HopEvidence['redirectsFrom']>();
  const noteRedirect = (from: string, to: string, status: number | 'refresh' | 'canonical'): void => {
    const fromHost = hostOf(from);
    const toHost = hostOf(to);
    if (fromHost === toHost) return;
    const list = redirectsTo.get(toHost) ?? [];
    list.push({ host: fromHost, status });
    redirectsTo.set(toHost, list);
  };
  for (const page of pages) {
    for (const r of page.redirects) noteRedirect(r.from, r.to, r.status);
    if (page.html?.refresh) noteRedirect(page.url, page.html.refresh, 'refresh');
    if (page.html?.canonical) noteRedirect(page.url, page.html.canonical, 'canonical');
  }
  const earlier: HostProfile[] = input.db ? await hostProfiles(input.db) : [];
  const hops: Hop[] = [];
  const candidates = new Set([...profiles.keys(), ...redirectsTo.keys()]);
  // A hop makes its host known, which may link a further host to it (a chain of moves), hence the loop.
  for (let pass = 0; pass < 3; pass += 1) {
    const known = [...earlier.filter((p) => !profiles.has(p.host)), ...profiles.values()].filter((p) => siteOfHost(directory, p.host)?.type === 'piracy');
    let found = false;
    for (const host of candidates) {
      if (siteOfHost(directory, host) || isAllowListed(directory, host)) continue;
      const candidate = profiles.get(host) ?? { host, trackingIds: [], structure: [] };
      const hop = detectHop(directory, { candidate, redirectsFrom: redirectsTo.get(host) ?? [] }, known);
      if (hop) {
        hops.push(hop);
        directory.hops.set(host, hop.site);
        found = true;
      }
    }
    if (!found) break;
  }

  // Phase 1 and phase 2.
  const threshold = input.suspectScore ?? DEFAULT_SUSPECT_SCORE;
  const result: RoundResult = { contentId: input.contentId, pages: pages.length, suspects: [], findings: [], hops, allowListedPages: 0, errors, keywords };
  const seen = new Set<string>();
  const statuses = initialStatuses(input.job?.spec ?? {}, input.content);
  const premium = input.job?.spec.tier === 'premium';
  const leaders: Leader[] = [];
  /** A phase-2 match as a finding: one transaction each (with its audit row and follow-up job), so a round killed midway keeps what it had found. */
  const recordMatch = async (page: Page, score: PageScore, site: SiteEntry | undefined, verdict: Extract<Verdict, { verdict: 'match' }>, evidenceParts: Record<string, unknown>): Promise<RoundFinding> => {
    const host = hostOf(page.url);
    const key = normalizeUrl(page.url);
    const evidence = { ...evidenceParts, ...(directory.hops.has(host) ? { hop: hops.find((h) => h.host === host) ?? { host } } : {}) };
    const byMetadata = verdict.confirmedBy === 'torrent-metadata';
    const f: RoundFinding = {
      url: page.url, ...(site ? { siteId: site.id, family: site.family } : {}), score: score.score,
      ...(byMetadata ? {} : { distance: verdict.distance }), confirmedBy: byMetadata ? 'torrent-metadata' : 'media', evidence,
    };
    if (input.db) {
      const { finding, created } = await recordFinding(input.db, {
        contentId: input.contentId, ...(input.job ? { monitoringJobId: input.job.id } : {}), url: page.url, normalizedUrl: key, host,
        ...(site ? { siteId: site.id, family: site.family } : {}),
        pageTitle: page.title, source: page.source, score: score.score, ...(byMetadata ? {} : { matchDistance: verdict.distance }), evidence, ...statuses, roundId,
        ...(page.capture ? { page: page.capture } : {}),
      }, { actor, reason: byMetadata ? `confirmed by torrent metadata on ${page.url}` : `confirmed on ${page.url} (distance ${verdict.distance.toFixed(3)})` });
      f.id = finding.id;
      f.created = created;
      input.log?.info({ findingId: finding.id, url: redact(page.url), created, confirmedBy: f.confirmedBy, takedownStatus: finding.takedownStatus }, created ? 'finding recorded' : 'finding seen again');
    }
    result.findings.push(f);
    return f;
  };
  // Which pages go to phase 2 is decided in page order; their checks (a media download and an ffmpeg
  // decode each) then run CONFIRM_CONCURRENCY at a time, so a round's downloads and decodes overlap.
  const checks: { page: Page; score: PageScore; site: SiteEntry | undefined; key: string }[] = [];
  for (const page of pages) {
    const host = hostOf(page.url);
    if (isAllowListed(directory, host)) { result.allowListedPages += 1; continue; }
    const key = normalizeUrl(page.url);
    if (seen.has(key)) continue;
    const score = scorePage(page, keywords);
    if (!isSuspect(score, threshold)) continue;
    seen.add(key);
    checks.push({ page, score, site: siteOfHost(directory, host), key });
  }
  const outcomes = await mapLimit(checks, CONFIRM_CONCURRENCY, async ({ page, score, site, key }) => {
    const host = hostOf(page.url);
    // A torrent's own metadata (file names and sizes) confirms it; media cannot be had without the swarm.
    const torrent = page.torrents?.length ? await checkTorrents(page.torrents, keywords, input.content, input.fetch, input.signal) : undefined;
    const verdict: Verdict = torrent?.confirmed ? { verdict: 'match', distance: Number.NaN, evidence: { ...torrent.evidence }, confirmedBy: 'torrent-metadata' }
      : input.confirm ? await input.confirm({ page, score, ...(site ? { site } : {}) }) : { verdict: 'unavailable', reason: torrent?.reason ?? 'no phase-2 check configured' };
    const evidencePhase1 = { score: score.score, terms: score.matches.slice(0, 12).map((m) => `${m.term} (${m.weight})`), episodes: score.episodes, source: page.source, sourceUrl: page.sourceUrl, redirects: page.redirects };
    const suspect: RoundResult['suspects'][number] = { url: page.url, score: score.score, ...(site ? { siteId: site.id } : {}), verdict: verdict.verdict, ...(verdict.verdict === 'match' ? {} : { reason: verdict.reason }) };
    if (verdict.verdict === 'match') {
      await recordMatch(page, score, site, verdict, { phase1: evidencePhase1, phase2: verdict.evidence });
      return { suspect };
    }
    if (input.db) {
      await recordSuspect(input.db, {
        contentId: input.contentId, ...(input.job ? { monitoringJobId: input.job.id } : {}), url: page.url, normalizedUrl: key, host,
        ...(site ? { siteId: site.id, family: site.family } : {}),
        pageTitle: page.title, source: page.source, score: score.score, reason: verdict.reason, evidence: evidencePhase1,
        queueForReview: verdict.verdict === 'unavailable' && premium, ...(page.capture ? { page: page.capture } : {}),
      }, { actor });
    }
    // A page whose own media did not match is not a list; one without media may lead to it.
    return { suspect, ...(verdict.verdict === 'unavailable' ? { leader: { page, score, evidencePhase1 } } : {}) };
  });
  for (const o of outcomes) {
    roundSuspects.inc({ verdict: o.suspect.verdict });
    result.suspects.push(o.suspect);
    if (o.leader) leaders.push(o.leader);
  }
  await followLeaders(leaders, { pages, seen, directory, budget: followBudget(input.env), input, ctx, result, recordMatch });
  if (input.db) {
    for (const hop of hops) {
      await recordDiscoveredSite(input.db, { host: hop.host, siteId: hop.site.id, family: hop.site.family, viaHost: hop.via, signals: hop.signals, confidence: hop.confidence }, { actor });
    }
    for (const p of profiles.values()) {
      const site = siteOfHost(directory, p.host);
      if (site?.type === 'piracy') await saveHostProfile(input.db, p, site.id);
    }
  }
  const created = result.findings.filter((f) => f.created).length;
  roundFindings.observe({ kind: 'all' }, result.findings.length);
  roundFindings.observe({ kind: 'new' }, created);
  input.log?.info({ pages: result.pages, suspects: result.suspects.length, findings: result.findings.length, newFindings: created, findingIds: result.findings.flatMap((f) => (f.id === undefined ? [] : [f.id])) }, 'monitoring round finished');
  return result;
}

/** A feed item that links to a page (not a torrent or magnet): fetched as a page, so its media are crawled. */
function isFeedItemLink(page: Page): boolean {
  return page.source === 'rss' && !page.html && /^https?:\/\//i.test(page.url) && !/\.torrent($|\?)/i.test(page.url);
}

/** Phase-2 checks in flight at once: each is a media download then an ffmpeg decode, so four keep two cores busy while downloads wait. */
export const CONFIRM_CONCURRENCY = 4;

/** Hosts probed per round because a crawled page links to or names them and their name is a known site's, renumbered or re-TLD'd. */
export const HOP_PROBES = 10;

/**
 * Hops that leave no redirect: a new numbered or re-TLD'd name that crawled pages link to or
 * mention is probed once this round (its linked page, else its home page, and one level of its
 * links), so hop detection sees its template, favicon and tracking ids on arrival.
 */
async function* probeMentionedHosts(directory: SiteDirectory, pages: readonly Page[], profiles: ReadonlyMap<string, HostProfile>, input: RoundInput, ctx: SourceContext): AsyncGenerator<Page> {
  const known = [...directory.sites.filter((s) => s.type === 'piracy').flatMap((s) => s.domains), ...directory.hops.keys(), ...profiles.keys()];
  const dead = deadSites(directory, pages, input);
  const hosts = [
    ...mentionedHopHosts(directory, pages, known, dead.flatMap(deadSiteNames)).filter((h) => !profiles.has(h.host)).slice(0, HOP_PROBES),
    ...deadSiteGuesses(directory, dead).filter((h) => !profiles.has(h.host)).slice(0, HOP_GUESSES),
  ];
  if (hosts.length === 0) return;
  // A name that does not answer is a guess that failed, not a source that failed.
  const quiet: SourceContext = { ...ctx, onError: (url, error) => input.log?.debug({ content: input.contentId, url: redact(url), message: redactedMessage(error) }, 'hop probe failed') };
  for await (const page of crawlWeb(hosts.flatMap((h) => h.seeds), { ...input.web, depth: 1, maxPages: hosts.length * 8 }, quiet)) {
    const mention = hosts.find((h) => h.host === hostOf(page.url));
    yield { ...page, ...(mention ? { sourceUrl: mention.via } : {}) };
  }
}

/** Names guessed per round for catalog sites that gave no page this round (all their seeds failed). */
export const HOP_GUESSES = 12;

/** Watched piracy sites with web seeds none of whose pages came in this round: they may have moved. */
function deadSites(directory: SiteDirectory, pages: readonly Page[], input: RoundInput): CatalogDocument<'Site'>[] {
  const answered = new Set(pages.map((p) => siteOfHost(directory, hostOf(p.url))?.id).filter((id): id is string => id !== undefined));
  return input.sites.filter((doc) => doc.spec.type === 'piracy' && !answered.has(doc.metadata.id)
    && (!input.job?.spec.sites || input.job.spec.sites.includes(doc.metadata.id))
    && (doc.spec.sources ?? []).some((s) => s.type === 'web'));
}

/** What people call a dead site when they say where it went: its name, its domains' labels, and those without their number (watchasian12 → watchasian). */
function deadSiteNames(doc: CatalogDocument<'Site'>): string[] {
  const labels = doc.spec.domains.map(domainLabel);
  return [...new Set([...(doc.metadata.name ? [doc.metadata.name] : []), ...labels, ...labels.map((l) => l.replace(/[\d-]+$/, ''))])];
}

/**
 * A watched site none of whose web seeds answered this round may have moved without leaving a
 * redirect: its renumbered and re-TLD'd names (families.ts guessedHopNames), at its seeds' scheme,
 * port and path, are probed once.
 */
function deadSiteGuesses(directory: SiteDirectory, dead: readonly CatalogDocument<'Site'>[]): { host: string; seeds: string[]; via: string }[] {
  const out: { host: string; seeds: string[]; via: string }[] = [];
  for (const doc of dead) {
    for (const source of doc.spec.sources ?? []) {
      if (source.type !== 'web') continue;
      let seed: URL;
      try { seed = new URL(source.url); } catch { continue; }
      for (const host of guessedHopNames(seed.hostname)) {
        if (siteOfHost(directory, host) || isAllowListed(directory, host) || out.some((o) => o.host === host)) continue;
        const guess = new URL(seed.href);
        guess.hostname = host;
        out.push({ host, seeds: [guess.href], via: seed.hostname });
      }
    }
  }
  return out;
}

interface Leader { page: Page; score: PageScore; evidencePhase1: Record<string, unknown> }

interface FollowContext {
  pages: readonly Page[];
  seen: Set<string>;
  directory: SiteDirectory;
  budget: number;
  input: RoundInput;
  ctx: SourceContext;
  result: RoundResult;
  recordMatch: (page: Page, score: PageScore, site: SiteEntry | undefined, verdict: Extract<Verdict, { verdict: 'match' }>, evidence: Record<string, unknown>) => Promise<RoundFinding>;
}

/**
 * Pages that lead to media: each suspect phase 2 could not confirm is followed to the pages it links
 * to (other hosts first, follow.ts), within the round's budget. A target is checked with the
 * linking page's phase-1 score (it is there because that page named the content); a confirmed
 * target is a finding, and so is the page that linked to it, its evidence naming the target.
 */
async function followLeaders(leaders: readonly Leader[], o: FollowContext): Promise<void> {
  const confirm = o.input.confirm;
  if (!confirm || o.budget <= 0 || leaders.length === 0) return;
  const crawled = new Set(o.pages.map((p) => normalizeUrl(p.url)));
  const wanted = new Map<string, Leader>();
  for (const l of leaders) {
    for (const url of leadsOf(l.page, crawled, (h) => isAllowListed(o.directory, h))) {
      if (wanted.size >= o.budget) break;
      if (!wanted.has(url)) wanted.set(url, l);
    }
  }
  if (wanted.size === 0) return;
  const confirmed = new Set<string>();
  // A dead entry in a link list is the list's business, not a source that failed.
  const quiet: SourceContext = { ...o.ctx, onError: (url, error) => o.input.log?.debug({ content: o.input.contentId, url: redact(url), message: redactedMessage(error) }, 'followed link failed') };
  const targets: { page: Page; leader: Leader; site: SiteEntry | undefined }[] = [];
  for await (const target of crawlWeb([...wanted.keys()], { ...o.input.web, depth: 0, maxPages: wanted.size }, quiet)) {
    const leader = wanted.get(target.requestedUrl ?? target.url);
    const host = hostOf(target.url);
    const key = normalizeUrl(target.url);
    if (!leader || isAllowListed(o.directory, host) || o.seen.has(key)) continue;
    o.seen.add(key);
    targets.push({ page: { ...target, source: leader.page.source, sourceUrl: leader.page.url }, leader, site: siteOfHost(o.directory, host) });
  }
  await mapLimit(targets, CONFIRM_CONCURRENCY, async ({ page, leader, site }) => {
    const verdict = await confirm({ page, score: leader.score, ...(site ? { site } : {}) });
    o.result.suspects.push({ url: page.url, score: leader.score.score, ...(site ? { siteId: site.id } : {}), verdict: verdict.verdict, ...(verdict.verdict === 'match' ? {} : { reason: verdict.reason }), linkedFrom: leader.page.url });
    if (verdict.verdict !== 'match') return;
    const found = await o.recordMatch(page, leader.score, site, verdict, { phase1: { ...leader.evidencePhase1, linkedFrom: leader.page.url }, phase2: verdict.evidence });
    // Checked and set with no await between, so two targets of one leader record it once.
    if (confirmed.has(leader.page.url)) return;
    confirmed.add(leader.page.url);
    const leaderSite = siteOfHost(o.directory, hostOf(leader.page.url));
    await o.recordMatch(leader.page, leader.score, leaderSite, verdict, {
      phase1: leader.evidencePhase1, phase2: verdict.evidence, leadsTo: { url: page.url, ...(found.id === undefined ? {} : { findingId: found.id }) },
    });
  });
}
