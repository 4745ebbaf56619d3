import type { Redirect } from '../fetch.js';
import { pageCapture } from '../capture.js';
import { parseHtml } from '../html.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { registrableDomain } from '../url.js';
import { HTML_TYPES, type Page, type Source, type SourceContext } from './types.js';

/**
 * Crawls websites from seed URLs: breadth first, bounded by depth and page count, following links
 * that stay on the seed's site or on a site a redirect led to (a seed that redirects to a new domain
 * is the commonest domain hop, and the crawl follows it). Requests to one host are limited in number
 * at a time and spaced by a delay; every redirect is recorded on the page.
 */

export interface WebCrawlOptions {
  depth?: number;
  maxPages?: number;
  /** At most this many requests to one host at a time. */
  perHostConcurrency?: number;
  /** Milliseconds between the starts of two requests to one host. */
  perHostDelayMs?: number;
  /** Requests in flight across all hosts. */
  concurrency?: number;
}

const TORRENT_LINK = /\.torrent(?:$|[?#])/i;

export const WEB_DEFAULTS = { depth: 2, maxPages: 200, perHostConcurrency: 2, perHostDelayMs: 250, concurrency: 8 } as const;

/** Per-host politeness: a count of requests in flight and the time of the last start. State is real here. */
export class HostLimiter {
  private readonly hosts = new Map<string, { active: number; last: number; waiting: (() => void)[] }>();

  constructor(private readonly concurrency: number, private readonly delayMs: number) {}

  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    const h = this.hosts.get(host) ?? { active: 0, last: 0, waiting: [] };
    this.hosts.set(host, h);
    while (h.active >= this.concurrency) await new Promise<void>((resolve) => h.waiting.push(resolve));
    h.active += 1;
    const wait = h.last + this.delayMs - Date.now();
    h.last = Math.max(Date.now(), h.last + this.delayMs);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      return await task();
    } finally {
      h.active -= 1;
      h.waiting.shift()?.();
    }
  }
}

export async function* crawlWeb(seeds: readonly string[], options: WebCrawlOptions, ctx: SourceContext, sourceUrl = seeds[0] ?? ''): AsyncGenerator<Page> {
  const depthLimit = options.depth ?? WEB_DEFAULTS.depth;
  const maxPages = options.maxPages ?? WEB_DEFAULTS.maxPages;
  const limiter = new HostLimiter(options.perHostConcurrency ?? WEB_DEFAULTS.perHostConcurrency, options.perHostDelayMs ?? WEB_DEFAULTS.perHostDelayMs);
  const concurrency = options.concurrency ?? WEB_DEFAULTS.concurrency;
  const sites = new Set<string>();
  const seen = new Set<string>();
  // Pages that failed do not count as pages, but requests stay bounded all the same.
  const maxRequests = maxPages * 3;
  let requests = 0;
  let produced = 0;
  const queue: { url: string; depth: number }[] = [];
  const enqueue = (url: string, depth: number): void => {
    let key: string;
    try { key = normalizeUrl(url); } catch { return; }
    if (seen.has(key) || seen.size >= maxRequests * 4) return;
    seen.add(key);
    queue.push({ url, depth });
  };
  for (const seed of seeds) {
    try { sites.add(registrableDomain(hostOf(seed))); enqueue(seed, 0); } catch { ctx.onError?.(seed, new Error('not a URL')); }
  }

  const ready: Page[] = [];
  let wake: (() => void) | undefined;
  let active = 0;

  const visited = new Set<string>();
  const visit = async (item: { url: string; depth: number }): Promise<void> => {
    visited.add(normalizeUrl(item.url));
    try {
      const res = await limiter.run(hostOf(item.url), () => ctx.fetch(item.url, { accept: HTML_TYPES, ...(ctx.signal ? { signal: ctx.signal } : {}) }));
      const redirects: Redirect[] = res.redirects;
      if (res.finalUrl !== item.url) {
        // Two links that redirect to one page are one page.
        const finalKey = normalizeUrl(res.finalUrl);
        if (visited.has(finalKey)) return;
        visited.add(finalKey);
        seen.add(finalKey);
      }
      if (produced >= maxPages) return;
      produced += 1;
      // A redirect to another site makes that site part of this crawl.
      for (const r of redirects) sites.add(registrableDomain(hostOf(r.to)));
      const html = parseHtml(res.text(), res.finalUrl);
      // An indexer's detail page links its .torrent or a magnet; torrent-check.ts reads their metadata.
      const torrents = [...html.links.filter((l) => TORRENT_LINK.test(l)), ...html.magnets];
      if (html.refresh) sites.add(registrableDomain(hostOf(html.refresh)));
      ready.push({
        url: res.finalUrl,
        ...(res.finalUrl !== item.url ? { requestedUrl: item.url } : {}),
        title: html.title, text: html.text, ...(html.alt ? { alt: html.alt } : {}), source: 'web', sourceUrl, redirects, links: html.links, media: html.media, ...(torrents.length > 0 ? { torrents } : {}), html, depth: item.depth, capture: pageCapture(res),
      });
      if (item.depth < depthLimit) {
        const next = html.refresh ? [html.refresh, ...html.links] : html.links;
        for (const link of next) if (sites.has(registrableDomain(hostOf(link)))) enqueue(link, item.depth + 1);
      }
    } catch (error) {
      ctx.onError?.(item.url, error);
    }
  };

  while (queue.length > 0 || active > 0 || ready.length > 0) {
    while (active < concurrency && queue.length > 0 && produced + active < maxPages && requests < maxRequests && !ctx.signal?.aborted) {
      const item = queue.shift()!;
      active += 1;
      requests += 1;
      void visit(item).finally(() => { active -= 1; wake?.(); });
    }
    if (ready.length > 0) {
      yield ready.shift()!;
      continue;
    }
    if (active === 0) break;
    await new Promise<void>((resolve) => { wake = resolve; });
    wake = undefined;
  }
}

export function webSource(url: string, options: WebCrawlOptions = {}): Source {
  return { kind: 'web', url, collect: (_query, ctx) => crawlWeb([url], options, ctx, url) };
}
