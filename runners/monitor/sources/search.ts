import { isHttpUrl } from './feed-xml.js';
import { apiKey, DEFAULT_MAX_RESULTS, JSON_TYPES, type Page, type Source } from './types.js';

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

/**
 * Where the next page of results is, in each API's own way: Google CSE's `queries.nextPage[0].startIndex`
 * (the `start` parameter), Brave's `query.more_results_available` (`offset` counts pages), Bing's
 * `totalEstimatedMatches` (`offset` counts results), and for the generic shape a `next` URL on the
 * endpoint's own origin or else `offset` by results. Undefined: this was the last page.
 */
export function nextPage(body: unknown, endpoint: string, pageIndex: number, readSoFar: number): { params: Record<string, string> } | { url: string } | undefined {
  const o = (body ?? {}) as Record<string, unknown>;
  const rec = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined);
  if (Array.isArray(o.items)) {
    const next = (rec(o.queries)?.nextPage as unknown[] | undefined)?.[0];
    const start = rec(next)?.startIndex;
    return typeof start === 'number' ? { params: { start: String(start) } } : undefined;
  }
  if (rec(o.web) && Array.isArray(rec(o.web)!.results)) {
    return rec(o.query)?.more_results_available === true ? { params: { offset: String(pageIndex + 1) } } : undefined;
  }
  const bing = rec(o.webPages);
  if (bing && Array.isArray(bing.value)) {
    const total = bing.totalEstimatedMatches;
    return typeof total === 'number' && readSoFar < total ? { params: { offset: String(readSoFar) } } : undefined;
  }
  if (typeof o.next === 'string') {
    try {
      const next = new URL(o.next, endpoint);
      // A next link elsewhere would carry our bearer token's request to a stranger; the fetcher drops it, but we do not follow it either.
      return next.origin === new URL(endpoint).origin ? { url: next.href } : undefined;
    } catch { return undefined; }
  }
  return Array.isArray(o.results) && o.results.length > 0 ? { params: { offset: String(readSoFar) } } : undefined;
}

/** Result pages read per query term at most, whatever the API says: a bound against an API that always has a next page. */
const MAX_RESULT_PAGES = 100;

export function searchSource(url: string, apiKeyEnv?: string, maxResults: number = DEFAULT_MAX_RESULTS): Source {
  return {
    kind: 'search',
    url,
    async *collect(query, ctx) {
      const credential = apiKey(ctx, apiKeyEnv, url);
      if (credential.refused) return;
      const { key } = credential;
      const seen = new Set<string>();
      for (const term of query.terms) {
        const first = new URL(url);
        first.searchParams.set('q', term);
        let requestUrl: string | undefined = first.href;
        let read = 0;
        for (let pageIndex = 0; requestUrl && read < maxResults && pageIndex < MAX_RESULT_PAGES; pageIndex += 1) {
          const current: string = requestUrl;
          requestUrl = undefined;
          try {
            const res = await ctx.fetch(current, {
              accept: [...JSON_TYPES],
              ...(key ? { credentials: { headers: { authorization: `Bearer ${key}` } } } : {}),
              ...(ctx.signal ? { signal: ctx.signal } : {}),
            });
            const body = JSON.parse(res.text()) as unknown;
            const rows = parseSearchResults(body);
            let fresh = 0;
            for (const r of rows) {
              if (read >= maxResults) break;
              read += 1;
              if (seen.has(r.url)) continue;
              seen.add(r.url);
              fresh += 1;
              const page: Page = { url: r.url, title: r.title, text: r.snippet, source: 'search', sourceUrl: url, redirects: [], links: [r.url], media: [] };
              yield page;
            }
            const next = rows.length > 0 && fresh > 0 ? nextPage(body, url, pageIndex, read) : undefined;
            if (next && 'url' in next) requestUrl = next.url;
            else if (next) {
              const u = new URL(first.href);
              for (const [k, v] of Object.entries(next.params)) u.searchParams.set(k, v);
              requestUrl = u.href;
            }
          } catch (error) {
            ctx.onError?.(current, error);
          }
        }
      }
    },
  };
}
