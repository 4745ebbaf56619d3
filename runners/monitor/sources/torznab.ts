import { VigilError } from '../../../core/errors.js';
import { parseFeed } from './feed-xml.js';
import { itemPage } from './rss.js';
import { apiKey, XML_TYPES, type Source } from './types.js';

/**
 * Torznab indexers (the API Jackett, Prowlarr and torrent index aggregators speak): an RSS answer to
 * `?t=search&q=...&apikey=...` whose items carry torznab:attr elements (seeders, size, magneturl).
 * One request per query term; items seen under two terms are yielded once.
 */

export function torznabSearchUrl(endpoint: string, q: string, key: string | undefined): string {
  const u = new URL(endpoint);
  u.searchParams.set('t', 'search');
  u.searchParams.set('q', q);
  if (key) u.searchParams.set('apikey', key);
  return u.href;
}

export function torznabSource(url: string, apiKeyEnv?: string): Source {
  return {
    kind: 'torznab',
    url,
    async *collect(query, ctx) {
      const key = apiKey(ctx.env, apiKeyEnv);
      const seen = new Set<string>();
      for (const term of query.terms) {
        const requestUrl = torznabSearchUrl(url, term, key);
        let xml: string;
        try {
          const res = await ctx.fetch(requestUrl, { accept: [...XML_TYPES, 'text/plain'], ...(ctx.signal ? { signal: ctx.signal } : {}) });
          xml = res.text();
          const error = /<error\s+code="(\d+)"\s+description="([^"]*)"/.exec(xml);
          if (error) throw new VigilError('FETCH_FAILED', `the Torznab indexer at ${url} answered error ${error[1]}: ${error[2]}`);
          for (const item of parseFeed(xml).items) {
            const page = itemPage(item, res.finalUrl, 'torznab', url);
            if (!page || seen.has(page.url)) continue;
            seen.add(page.url);
            yield page;
          }
        } catch (error) {
          // Never let the key reach a log line.
          ctx.onError?.(key ? url : requestUrl, error);
        }
      }
    },
  };
}
