import { VigilError } from '../../core/errors.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import type { Page } from './sources/types.js';

/**
 * Pages that lead to media: aggregators, series and episode lists that only link to lockers and
 * players on other hosts. A suspect page that has no media of its own is followed to the pages it
 * links to, within a per-round budget; what those pages confirm makes the linking page a finding
 * too. Pure: which links to follow, and the budget read from the environment.
 */

export const FOLLOW_ENV = 'VIGIL_MONITOR_FOLLOW_LINKS';
export const DEFAULT_FOLLOW_LINKS = 40;
/** One page gets at most this many of the round's follows, so one long list cannot spend them all. */
export const FOLLOW_PER_PAGE = 12;

/** The round's follow budget from VIGIL_MONITOR_FOLLOW_LINKS (a whole number, 0 turns following off). */
export function followBudget(env: Record<string, string | undefined> | undefined): number {
  const raw = env?.[FOLLOW_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_FOLLOW_LINKS;
  if (!/^\d{1,5}$/.test(raw.trim())) {
    throw new VigilError('FOLLOW_BUDGET_INVALID', `${FOLLOW_ENV}=${JSON.stringify(raw)} is not a whole number of pages (e.g. ${FOLLOW_ENV}=${DEFAULT_FOLLOW_LINKS}, or 0 to follow none)`);
  }
  return Number(raw.trim());
}

const NOT_A_PAGE = /\.(jpe?g|png|gif|webp|svg|ico|css|js|xml|rss|torrent|zip|rar)$/i;

/**
 * The links of `page` worth following: to other hosts first (lockers and players live elsewhere),
 * then the page's own host, never one already crawled, a media file (phase 2 reads those) or an
 * allow-listed host.
 */
export function leadsOf(page: Page, crawled: ReadonlySet<string>, allowListed: (host: string) => boolean, limit = FOLLOW_PER_PAGE): string[] {
  const own = hostOf(page.url);
  const media = new Set(page.media.map((m) => m.url));
  const out: { url: string; away: boolean }[] = [];
  const seen = new Set<string>();
  for (const link of page.links) {
    let key: string;
    let host: string;
    try { key = normalizeUrl(link); host = hostOf(link); } catch { continue; }
    if (seen.has(key) || crawled.has(key) || media.has(link) || NOT_A_PAGE.test(new URL(link).pathname) || allowListed(host)) continue;
    seen.add(key);
    out.push({ url: link, away: host !== own });
  }
  return [...out.filter((l) => l.away), ...out.filter((l) => !l.away)].slice(0, limit).map((l) => l.url);
}
