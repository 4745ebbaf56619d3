import { VigilError } from '../../../core/errors.js';
import { MASK, redact } from '../../../core/redact.js';
import { parseFeed } from './feed-xml.js';
import { itemPage } from './rss.js';
import { apiKey, XML_TYPES, type Page, type Source } from './types.js';

/**
 * Torznab indexers (the API Jackett, Prowlarr and torrent index aggregators speak): an RSS answer to
 * `?t=search&q=...&apikey=...` whose items carry torznab:attr elements (seeders, size, magneturl).
 * One request per query term; items seen under two terms are yielded once.
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

export function torznabSource(url: string, apiKeyEnv?: string): Source {
  return {
    kind: 'torznab',
    url,
    async *collect(query, ctx) {
      const credential = apiKey(ctx, apiKeyEnv, url);
      if (credential.refused) return;
      const { key } = credential;
      const seen = new Set<string>();
      for (const term of query.terms) {
        const requestUrl = torznabSearchUrl(url, term);
        let xml: string;
        try {
          const res = await ctx.fetch(requestUrl, {
            accept: [...XML_TYPES, 'text/plain'],
            ...(key ? { credentials: { query: { apikey: key } } } : {}),
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
          xml = res.text();
          const error = /<error\s+code="(\d+)"\s+description="([^"]*)"/.exec(xml);
          if (error) throw new VigilError('FETCH_FAILED', redact(`the Torznab indexer at ${url} answered error ${error[1]}: ${error[2]}`));
          for (const item of parseFeed(xml).items) {
            const found = itemPage(item, res.finalUrl, 'torznab', url);
            const page = found && withoutKey(found, key);
            if (!page || seen.has(page.url)) continue;
            seen.add(page.url);
            yield page;
          }
        } catch (error) {
          ctx.onError?.(requestUrl, error);
        }
      }
    },
  };
}
