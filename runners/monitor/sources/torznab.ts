import { VigilError } from '../../../core/errors.js';
import { MASK, redact } from '../../../core/redact.js';
import { parseFeed } from './feed-xml.js';
import { itemPage } from './rss.js';
import { apiKey, DEFAULT_MAX_RESULTS, XML_TYPES, type Page, type Source } from './types.js';

/**
 * Torznab indexers (the API Jackett, Prowlarr and torrent index aggregators speak): an RSS answer to
 * `?t=search&q=...&apikey=...` whose items carry torznab:attr elements (seeders, size, magneturl).
 * Each query term is paged through (offset/limit) up to maxResults; items seen under two terms are yielded once.
 */

/** The search URL without the key: the fetcher adds it as a credential, for the indexer's origin only. */
export function torznabSearchUrl(endpoint: string, q: string): string {
  const u = new URL(endpoint);
  u.searchParams.set('t', 'search');
  u.searchParams.set('q', q);
  return u.href;
}

/**
 * Indexers (Jackett, Prowlarr) put the key into their own download and details links; a page keeps
 * no copy of it, since pages become findings, evidence and log lines.
 */
function withoutKey(page: Page, key: string | undefined): Page {
  if (!key) return page;
  const mask = (s: string): string => s.split(key).join(MASK).split(encodeURIComponent(key)).join(MASK);
  return {
    ...page, url: mask(page.url), text: mask(page.text), links: page.links.map(mask),
    media: page.media.map((m) => ({ ...m, url: mask(m.url) })),
    ...(page.torrents ? { torrents: page.torrents.map(mask) } : {}),
  };
}

/** Items asked for per request; indexers cap `limit` (Jackett at 100), and the offset moves by what came back. */
export const TORZNAB_PAGE_SIZE = 100;

/** The result count an answer declares (`<newznab:response offset= total=>`), when it does. */
export function declaredTotal(xml: string): number | undefined {
  const m = /<(?:newznab:|torznab:)?response\b[^>]*\btotal="(\d+)"/.exec(xml);
  return m ? Number(m[1]) : undefined;
}

export function torznabSource(url: string, apiKeyEnv?: string, maxResults: number = DEFAULT_MAX_RESULTS): Source {
  return {
    kind: 'torznab',
    url,
    async *collect(query, ctx) {
      const credential = apiKey(ctx, apiKeyEnv, url);
      if (credential.refused) return;
      const { key } = credential;
      const seen = new Set<string>();
      for (const term of query.terms) {
        // Page with offset/limit until maxResults, the declared total, a short page, or an answer with nothing new.
        for (let offset = 0; offset < maxResults;) {
          const u = new URL(torznabSearchUrl(url, term));
          const limit = Math.min(TORZNAB_PAGE_SIZE, maxResults - offset);
          u.searchParams.set('offset', String(offset));
          u.searchParams.set('limit', String(limit));
          const requestUrl = u.href;
          let fresh = 0;
          let items = 0;
          let total: number | undefined;
          try {
            const res = await ctx.fetch(requestUrl, {
              accept: [...XML_TYPES, 'text/plain'],
              ...(key ? { credentials: { query: { apikey: key } } } : {}),
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            });
            const xml = res.text();
            const error = /<error\s+code="(\d+)"\s+description="([^"]*)"/.exec(xml);
            if (error) throw new VigilError('FETCH_FAILED', redact(`the Torznab indexer at ${url} answered error ${error[1]}: ${error[2]}`));
            total = declaredTotal(xml);
            const found = parseFeed(xml).items;
            items = found.length;
            for (const item of found.slice(0, limit)) {
              const page = itemPage(item, res.finalUrl, 'torznab', url);
              const clean = page && withoutKey(page, key);
              if (!clean || seen.has(clean.url)) continue;
              seen.add(clean.url);
              fresh += 1;
              yield clean;
            }
          } catch (error) {
            ctx.onError?.(requestUrl, error);
            break;
          }
          offset += items;
          // A short page is the last one; an answer with nothing new means the indexer ignores offset.
          if (items < limit || fresh === 0 || (total !== undefined && offset >= total)) break;
        }
      }
    },
  };
}
