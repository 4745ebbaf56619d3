import zlib from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { VigilError } from '../../../core/errors.js';
import { normalizeText } from '../normalize.js';
import { urlWords } from '../score.js';
import { isHttpUrl } from './feed-xml.js';
import { XML_TYPES, type Source, type SourceContext } from './types.js';
import { crawlWeb, WEB_DEFAULTS, type WebCrawlOptions } from './web.js';

/**
 * Sitemaps (sitemaps.org 0.9): a `urlset` lists pages, a `sitemapindex` lists further sitemaps, and
 * either may be gzip-compressed (`.xml.gz`). Pirate CMSs (WordPress, DLE, the streaming scripts)
 * publish one listing every episode page, which reaches pages no link on the home page does. Pages
 * whose address names a query term are crawled first, since a site's sitemap lists its whole library.
 */

export const SITEMAP_LIMITS = {
  /** Child sitemaps read from indexes, in all. */
  maxSitemaps: 50,
  /** Index → index → urlset is as deep as real sites go. */
  maxDepth: 3,
  /** Bytes of one sitemap, after gunzip (the protocol caps a sitemap at 50 MB). */
  maxBytes: 50 * 1024 * 1024,
  /** URLs kept from all sitemaps together. */
  maxUrls: 100_000,
} as const;

const GZIP_TYPES = ['application/gzip', 'application/x-gzip', 'application/octet-stream'] as const;

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, isArray: (name) => name === 'url' || name === 'sitemap' });

export interface SitemapDocument {
  kind: 'urlset' | 'index';
  locations: string[];
}

/** One sitemap's locations; anything that is neither a urlset nor an index is an error naming the URL. */
export function parseSitemap(xml: string, url: string): SitemapDocument {
  let doc: Record<string, unknown>;
  try { doc = parser.parse(xml) as Record<string, unknown>; } catch (error) {
    throw new VigilError('SITEMAP_UNREADABLE', `the sitemap at ${url} is not XML: ${(error as Error).message}`, { cause: error });
  }
  const locs = (entries: unknown): string[] => (Array.isArray(entries) ? entries : [])
    .map((e) => String((e as Record<string, unknown>).loc ?? '').trim()).filter(isHttpUrl);
  const urlset = doc.urlset as Record<string, unknown> | undefined;
  if (urlset !== undefined) return { kind: 'urlset', locations: locs(urlset.url) };
  const index = doc.sitemapindex as Record<string, unknown> | undefined;
  if (index !== undefined) return { kind: 'index', locations: locs(index.sitemap) };
  throw new VigilError('SITEMAP_UNREADABLE', `the sitemap at ${url} has neither <urlset> nor <sitemapindex>`);
}

/** The body as XML text, gunzipped (bounded) when it is gzip by its magic bytes, whatever the type says. */
export function sitemapText(body: Buffer, url: string, maxBytes: number = SITEMAP_LIMITS.maxBytes): string {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try { return zlib.gunzipSync(body, { maxOutputLength: maxBytes }).toString('utf8'); } catch (error) {
      throw new VigilError('SITEMAP_UNREADABLE', `the gzip sitemap at ${url} could not be unpacked within ${maxBytes} bytes: ${(error as Error).message}`, { cause: error });
    }
  }
  return body.toString('utf8');
}

/** Every page URL the sitemap tree lists, breadth first, within SITEMAP_LIMITS. */
export async function sitemapUrls(root: string, ctx: SourceContext, limits = SITEMAP_LIMITS): Promise<string[]> {
  const urls = new Set<string>();
  const seenMaps = new Set<string>([root]);
  let level = [root];
  for (let depth = 0; depth < limits.maxDepth && level.length > 0; depth += 1) {
    const next: string[] = [];
    for (const mapUrl of level) {
      try {
        const res = await ctx.fetch(mapUrl, { accept: [...XML_TYPES, ...GZIP_TYPES, 'text/plain'], maxBytes: limits.maxBytes, ...(ctx.signal ? { signal: ctx.signal } : {}) });
        const doc = parseSitemap(sitemapText(res.body, mapUrl, limits.maxBytes), mapUrl);
        if (doc.kind === 'urlset') {
          for (const u of doc.locations) { if (urls.size >= limits.maxUrls) break; urls.add(u); }
        } else {
          for (const child of doc.locations) {
            if (seenMaps.size >= limits.maxSitemaps + 1 || seenMaps.has(child)) continue;
            seenMaps.add(child);
            next.push(child);
          }
        }
      } catch (error) {
        ctx.onError?.(mapUrl, error);
      }
    }
    level = next;
  }
  return [...urls];
}

/** URLs whose words name one of the terms come first (the rest keep their sitemap order). */
export function rankByTerms(urls: readonly string[], terms: readonly string[]): string[] {
  const wanted = terms.map((t) => normalizeText(t)).filter((t) => t !== '');
  const compactWanted = wanted.map((t) => t.replace(/ /g, ''));
  const names = (u: string): boolean => {
    const words = normalizeText(urlWords(u));
    const compactWords = words.replace(/ /g, '');
    return wanted.some((t) => ` ${words} `.includes(` ${t} `)) || compactWanted.some((t) => t.length >= 6 && compactWords.includes(t));
  };
  const first: string[] = [];
  const rest: string[] = [];
  for (const u of urls) (names(u) ? first : rest).push(u);
  return [...first, ...rest];
}

export function sitemapSource(url: string, options: WebCrawlOptions = {}): Source {
  return {
    kind: 'sitemap',
    url,
    async *collect(query, ctx) {
      const urls = rankByTerms(await sitemapUrls(url, ctx), query.terms);
      const maxPages = options.maxPages ?? WEB_DEFAULTS.maxPages;
      // The listed pages are the crawl: no links followed from them (the sitemap already names the site's pages).
      yield* crawlWeb(urls.slice(0, maxPages), { ...options, depth: 0, maxPages }, ctx, url);
    },
  };
}
