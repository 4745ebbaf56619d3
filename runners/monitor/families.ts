import type { CatalogDocument } from '../../core/catalog/types.js';
import { domainLabel, hostMatches, registrableDomain } from './url.js';

/**
 * Site families and domain hops. Piracy sites move to a new domain within a day of being blocked;
 * the new domain is linked to a known site by what moved with it: a redirect, a name (site123 →
 * site124, name.to → name.se), the page template, the favicon, and the analytics or ad accounts that
 * pay the operator. Each is a signal with a weight; a host whose signals reach HOP_THRESHOLD joins the
 * known site's family and inherits its enforcement. Allow-listed (legitimate) hosts never join.
 */

export interface SiteEntry {
  id: string;
  type: 'piracy' | 'legitimate';
  family: string;
  domains: string[];
}

export interface SiteDirectory {
  sites: SiteEntry[];
  /** Hosts found by hop detection (this round or earlier ones), mapped to the site they belong to. */
  hops: Map<string, SiteEntry>;
}

export function siteDirectory(docs: Iterable<CatalogDocument<'Site'>>, hops: Iterable<[string, SiteEntry]> = []): SiteDirectory {
  const sites = [...docs].map((d) => ({ id: d.metadata.id, type: d.spec.type, family: d.spec.family ?? d.metadata.id, domains: d.spec.domains }));
  return { sites, hops: new Map(hops) };
}

/** The site a host belongs to: a catalog domain (or subdomain of one), else a discovered hop. */
export function siteOfHost(dir: SiteDirectory, host: string): SiteEntry | undefined {
  let best: { site: SiteEntry; length: number } | undefined;
  for (const site of dir.sites) {
    for (const d of site.domains) if (hostMatches(host, d) && (!best || d.length > best.length)) best = { site, length: d.length };
  }
  return best?.site ?? dir.hops.get(host) ?? dir.hops.get(registrableDomain(host));
}

export function isAllowListed(dir: SiteDirectory, host: string): boolean {
  return dir.sites.some((s) => s.type === 'legitimate' && s.domains.some((d) => hostMatches(host, d)));
}

/** What the crawl learned about one host, compared across hosts. */
export interface HostProfile {
  host: string;
  trackingIds: string[];
  faviconHash?: string;
  structure: number[];
}

export type HopSignalKind = 'redirect' | 'tracking-id' | 'favicon' | 'structure' | 'name';

export interface HopSignal {
  kind: HopSignalKind;
  weight: number;
  /** What matched, for a person: 'streamfree.to → streamfree.cc (301)', 'UA-1234-1', 'jaccard 0.82'. */
  detail: string;
}

export interface Hop {
  host: string;
  site: SiteEntry;
  /** The known host it was linked to. */
  via: string;
  signals: HopSignal[];
  confidence: number;
}

export const HOP_WEIGHTS = { redirect: 1, 'tracking-id': 1, favicon: 0.6, structure: 0.5, name: 0.5 } as const;
export const HOP_THRESHOLD = 1;
export const STRUCTURE_MIN_JACCARD = 0.6;

/** Jaccard similarity of two sorted, duplicate-free number sets. */
export function jaccard(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  let i = 0, j = 0, both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { both += 1; i += 1; j += 1; } else if (a[i]! < b[j]!) i += 1; else j += 1;
  }
  return both / (a.length + b.length - both);
}

/** Share of `a` that is also in `b` (both sorted, duplicate-free): how much of one page's template a site's templates hold. */
export function containment(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0) return 0;
  let i = 0, j = 0, both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { both += 1; i += 1; j += 1; } else if (a[i]! < b[j]!) i += 1; else j += 1;
  }
  return both / a.length;
}

/** Fewer shingles than this is too little markup to call a template. */
export const MIN_SHINGLES = 8;

/** 'numbered' (site123 → site124), 're-tld' (name.to → name.se), or undefined. */
export function nameRelation(known: string, candidate: string): 'numbered' | 're-tld' | undefined {
  const a = registrableDomain(known);
  const b = registrableDomain(candidate);
  if (a === b) return undefined;
  const la = domainLabel(known);
  const lb = domainLabel(candidate);
  if (la === lb && la.length >= 3) return 're-tld';
  const stem = (s: string): string => s.replace(/[\d-]+/g, '');
  if (la !== lb && stem(la) === stem(lb) && stem(la).length >= 4 && (/\d/.test(la) || /\d/.test(lb))) return 'numbered';
  return undefined;
}

export interface HopEvidence {
  candidate: HostProfile;
  /** Known hosts that redirected (HTTP, meta refresh or canonical) to the candidate, with the status. */
  redirectsFrom: { host: string; status: number | 'refresh' | 'canonical' }[];
}

/**
 * Links a host that no catalog site claims to the known piracy host it most resembles, if the
 * signals reach the threshold. `known` are the profiles of hosts whose site is known this round.
 */
export function detectHop(dir: SiteDirectory, evidence: HopEvidence, known: readonly HostProfile[]): Hop | undefined {
  const { candidate } = evidence;
  if (isAllowListed(dir, candidate.host) || siteOfHost(dir, candidate.host)) return undefined;
  let best: Hop | undefined;
  const knownHosts = new Map(known.map((k) => [k.host, k]));
  for (const r of evidence.redirectsFrom) if (!knownHosts.has(r.host)) knownHosts.set(r.host, { host: r.host, trackingIds: [], structure: [] });
  for (const k of knownHosts.values()) {
    const site = siteOfHost(dir, k.host);
    if (!site || site.type !== 'piracy') continue;
    const signals: HopSignal[] = [];
    const redirect = evidence.redirectsFrom.find((r) => r.host === k.host);
    if (redirect) signals.push({ kind: 'redirect', weight: HOP_WEIGHTS.redirect, detail: `${k.host} → ${candidate.host} (${redirect.status})` });
    const shared = candidate.trackingIds.filter((id) => k.trackingIds.includes(id));
    if (shared.length > 0) signals.push({ kind: 'tracking-id', weight: HOP_WEIGHTS['tracking-id'], detail: shared.join(', ') });
    if (candidate.faviconHash && candidate.faviconHash === k.faviconHash) signals.push({ kind: 'favicon', weight: HOP_WEIGHTS.favicon, detail: `sha256 ${candidate.faviconHash.slice(0, 16)}…` });
    // A known host's profile holds the templates of all its pages seen (list, watch, ...); the candidate's page should be one of them.
    const similarity = candidate.structure.length >= MIN_SHINGLES ? Math.max(jaccard(candidate.structure, k.structure), containment(candidate.structure, k.structure)) : 0;
    if (similarity >= STRUCTURE_MIN_JACCARD) signals.push({ kind: 'structure', weight: HOP_WEIGHTS.structure, detail: `template similarity ${similarity.toFixed(2)}` });
    const name = nameRelation(k.host, candidate.host);
    if (name) signals.push({ kind: 'name', weight: HOP_WEIGHTS.name, detail: `${name}: ${k.host} → ${candidate.host}` });
    const confidence = Math.min(1, signals.reduce((sum, s) => sum + s.weight, 0));
    if (signals.reduce((sum, s) => sum + s.weight, 0) >= HOP_THRESHOLD && (!best || confidence > best.confidence || signals.length > best.signals.length)) {
      best = { host: candidate.host, site, via: k.host, signals, confidence };
    }
  }
  return best;
}

const MAX_PROFILE_SHINGLES = 4096;

/** Merges what several pages of one host showed into its profile. */
export function mergeProfile(into: HostProfile | undefined, host: string, page: { trackingIds: string[]; structure: number[] }, faviconHash?: string): HostProfile {
  const ids = new Set([...(into?.trackingIds ?? []), ...page.trackingIds]);
  const union = new Set([...(into?.structure ?? []), ...page.structure]);
  const structure = [...union].sort((a, b) => a - b).slice(0, MAX_PROFILE_SHINGLES);
  const hash = into?.faviconHash ?? faviconHash;
  return { host, trackingIds: [...ids].sort(), structure, ...(hash ? { faviconHash: hash } : {}) };
}

/** A domain written in a page's text ("our new address: streamfree125.to"), with a port when one is written. */
const DOMAIN_MENTION = /\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,12})(:\d{2,5})?(?![a-z0-9-])/gi;

/** Links of one page that names a dead site, probed as its possible new home (the first few, in page order). */
export const DEAD_SITE_LINKS = 5;

/**
 * Hosts a hop may have gone to without any redirect: the hosts that crawled pages link to or name
 * in their text, kept when no site claims them and either their name is a numbered or re-TLD'd form
 * of a known piracy host (site123 → site124, name.to → name.se), or the page names a site that is
 * dead this round (`deadNames`: its catalog name or domain label, as a word of the page's title or
 * text: "DramaNice is down, they moved to <a>nicedrama.net</a>"), whatever the new name is. Each
 * comes with the URLs to probe it at (the links to it, else its home page over https then http).
 * Only a probe's arrival page (template, favicon, tracking ids) makes it a hop. Pure.
 */
export function mentionedHopHosts(dir: SiteDirectory, pages: readonly { url: string; links: readonly string[]; text: string; title?: string }[], knownHosts: readonly string[], deadNames: readonly string[] = []): { host: string; seeds: string[]; via: string }[] {
  const out = new Map<string, { host: string; seeds: string[]; via: string }>();
  const consider = (host: string, seed: string | undefined, via: string, anyName = false): void => {
    host = host.toLowerCase().replace(/^www\./, '');
    if (siteOfHost(dir, host) || isAllowListed(dir, host)) return;
    const related = anyName || knownHosts.some((k) => nameRelation(k, host) !== undefined && siteOfHost(dir, k)?.type === 'piracy');
    if (!related) return;
    const entry = out.get(host) ?? { host, seeds: [], via };
    for (const o of seed ? [seed] : [`https://${host}/`, `http://${host}/`]) if (!entry.seeds.includes(o) && entry.seeds.length < 3) entry.seeds.push(o);
    out.set(host, entry);
  };
  const dead = deadNames.map(wordsOf).filter((n) => n.length >= 4);
  const namesDead = (page: { text: string; title?: string }): boolean => {
    if (dead.length === 0) return false;
    const words = ` ${wordsOf(`${page.title ?? ''} ${page.text}`)} `;
    return dead.some((n) => words.includes(` ${n} `));
  };
  const fromDead: typeof pages[number][] = [];
  for (const page of pages) {
    for (const link of page.links) {
      try { consider(new URL(link).hostname, link, page.url); } catch { /* not a URL */ }
    }
    for (const m of page.text.matchAll(DOMAIN_MENTION)) {
      const port = m[2];
      consider(m[1]!, port ? `http://${m[1]!.toLowerCase()}${port}/` : undefined, page.url);
    }
    if (namesDead(page)) fromDead.push(page);
  }
  // After the name-related ones: a page that names a dead site may be telling where it went.
  for (const page of fromDead) {
    const own = registrableDomain(hostOfUrl(page.url));
    const away = page.links.filter((l) => { const h = hostOfUrl(l); return h !== '' && registrableDomain(h) !== own; });
    for (const link of away.slice(0, DEAD_SITE_LINKS)) consider(hostOfUrl(link), link, page.url, true);
  }
  return [...out.values()];
}

/** Lower-case letters and digits as space-separated words ("Drama Nice" stays two words, "DramaNice" one). */
function wordsOf(text: string): string {
  return text.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

function hostOfUrl(url: string): string {
  try { return new URL(url).hostname.toLowerCase(); } catch { return ''; }
}

/** Top-level domains pirate sites move between most, tried when a known site stops answering. */
export const HOP_TLDS = ['to', 'se', 'cc', 'is', 'ws', 'li', 'nu', 'sx', 'tv', 'io', 'im', 'pe'] as const;

/**
 * Pure: the names a site that stopped answering may have moved to: its number counted on by one
 * and two (site123 → site124, site125), then its label under the usual pirate TLDs (name.to →
 * name.se …). At most `limit`, numbered first.
 */
export function guessedHopNames(host: string, limit = 8): string[] {
  const domain = registrableDomain(host);
  const label = domainLabel(host);
  const tld = domain.slice(label.length + 1);
  const out: string[] = [];
  const m = /^(.*?)(\d+)([^\d]*)$/.exec(label);
  if (m) for (const step of [1, 2]) out.push(`${m[1]}${String(Number(m[2]) + step).padStart(m[2]!.length, '0')}${m[3]}.${tld}`);
  for (const t of HOP_TLDS) if (t !== tld) out.push(`${label}.${t}`);
  return out.slice(0, limit);
}
