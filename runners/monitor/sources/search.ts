import { isHttpUrl } from './feed-xml.js';
import { apiKey, JSON_TYPES, type Page, type Source } from './types.js';

/**
 * A JSON web-search API: `GET endpoint?q=...` with the key as a bearer token. Results are read in the
 * shapes the common APIs answer with: { results: [{ url, title, snippet }] }, Google Custom Search
 * { items: [{ link, title, snippet }] }, Bing { webPages: { value: [{ url, name, snippet }] } } and
 * Brave { web: { results: [{ url, title, description }] } }.
 */

export interface SearchResult {
  url: string;
  title: string;
  snippet: string;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function parseSearchResults(body: unknown): SearchResult[] {
  const o = (body ?? {}) as Record<string, unknown>;
  const lists: unknown[] = [
    o.results, o.items, (o.webPages as Record<string, unknown> | undefined)?.value, (o.web as Record<string, unknown> | undefined)?.results,
  ];
  const rows = lists.find(Array.isArray) as Record<string, unknown>[] | undefined;
  return (rows ?? []).map((r) => ({
    url: str(r.url) || str(r.link),
    title: str(r.title) || str(r.name),
    snippet: str(r.snippet) || str(r.description) || str(r.content),
  })).filter((r) => isHttpUrl(r.url));
}

export function searchSource(url: string, apiKeyEnv?: string): Source {
  return {
    kind: 'search',
    url,
    async *collect(query, ctx) {
      const credential = apiKey(ctx, apiKeyEnv, url);
      if (credential.refused) return;
      const { key } = credential;
      const seen = new Set<string>();
      for (const term of query.terms) {
        const u = new URL(url);
        u.searchParams.set('q', term);
        try {
          const res = await ctx.fetch(u.href, {
            accept: [...JSON_TYPES],
            ...(key ? { credentials: { headers: { authorization: `Bearer ${key}` } } } : {}),
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
          for (const r of parseSearchResults(JSON.parse(res.text()) as unknown)) {
            if (seen.has(r.url)) continue;
            seen.add(r.url);
            const page: Page = { url: r.url, title: r.title, text: r.snippet, source: 'search', sourceUrl: url, redirects: [], links: [r.url], media: [] };
            yield page;
          }
        } catch (error) {
          ctx.onError?.(u.href, error);
        }
      }
    },
  };
}
