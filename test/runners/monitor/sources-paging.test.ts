import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../core/catalog/load.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { sourceFor } from '../../../runners/monitor/sources/index.js';
import { searchSource } from '../../../runners/monitor/sources/search.js';
import { parseSitemap, rankByTerms, sitemapSource, sitemapText } from '../../../runners/monitor/sources/sitemap.js';
import { torznabSource } from '../../../runners/monitor/sources/torznab.js';
import type { Page, Source, SourceContext } from '../../../runners/monitor/sources/types.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

let server: FixtureServer;
let ctx: SourceContext;
const errors: string[] = [];

async function all(source: Source, terms: string[] = ['Moonlit Harbor']): Promise<Page[]> {
  const out: Page[] = [];
  for await (const p of source.collect({ terms }, ctx)) out.push(p);
  return out;
}

const urlset = (urls: string[]): string => `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.map((u) => `<url><loc>${u}</loc><lastmod>2026-11-30</lastmod></url>`).join('')}</urlset>`;

beforeAll(async () => {
  server = await startFixtureServer();
  const s = (path: string): string => server.url('maps.example', path);
  // A WordPress-style tree: an index pointing at a plain child, a gzip child (served as application/gzip), one missing, and itself.
  server.route('maps.example', '/sitemap.xml', { type: 'application/xml', body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>${s('/post-sitemap.xml')}</loc></sitemap><sitemap><loc>${s('/tv-sitemap.xml.gz')}</loc></sitemap>
    <sitemap><loc>${s('/gone-sitemap.xml')}</loc></sitemap><sitemap><loc>${s('/sitemap.xml')}</loc></sitemap></sitemapindex>` });
  server.route('maps.example', '/post-sitemap.xml', { type: 'text/xml', body: urlset([s('/about'), s('/other-show-episode-1')]) });
  server.route('maps.example', '/tv-sitemap.xml.gz', { type: 'application/gzip', body: zlib.gzipSync(urlset([s('/watch/moonlit-harbor-episode-3'), s('/genre/drama')])) });
  for (const path of ['/about', '/other-show-episode-1', '/genre/drama']) {
    server.route('maps.example', path, { body: piracyTemplate({ title: path, body: `page ${path}` }) });
  }
  server.route('maps.example', '/watch/moonlit-harbor-episode-3', { body: piracyTemplate({ title: 'Moonlit Harbor 3', body: 'download', links: [s('/files/Moonlit.Harbor.S01E03.torrent'), s('/about')] }) });
  // A Torznab indexer with 250 results that answers at most 100 per request and declares its total.
  server.route('paged.example', '/api', (_req, url) => {
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 100));
    const items = Array.from({ length: Math.max(0, Math.min(limit, 250 - offset)) }, (_, i) => offset + i)
      .map((n) => `<item><title>Moonlit Harbor S01E${String((n % 10) + 1).padStart(2, '0')} 1080p</title><guid>https://paged.example/details/${n}</guid></item>`).join('');
    return { type: 'application/rss+xml', body: `<?xml version="1.0"?><rss version="2.0" xmlns:newznab="http://www.newznab.com/DTD/2010/feeds/attributes/"><channel><newznab:response offset="${offset}" total="250"/>${items}</channel></rss>` };
  });
  // An indexer that ignores offset and answers the same hundred items forever.
  server.route('stuck.example', '/api', { type: 'application/rss+xml', body: `<?xml version="1.0"?><rss version="2.0"><channel>${Array.from({ length: 100 }, (_, n) => `<item><title>Moonlit Harbor ${n}</title><guid>https://stuck.example/d/${n}</guid></item>`).join('')}</channel></rss>` });
  // Search APIs: generic with offset, Google CSE with start, and a generic one whose `next` link leaves its origin.
  server.route('search.example', '/generic', (_req, url) => {
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const rows = Array.from({ length: Math.max(0, Math.min(10, 35 - offset)) }, (_, i) => ({ url: `https://site.example/r/${offset + i}`, title: 'Moonlit Harbor', snippet: 'watch' }));
    return { type: 'application/json', body: JSON.stringify({ results: rows }) };
  });
  server.route('search.example', '/cse', (_req, url) => {
    const start = Number(url.searchParams.get('start') ?? 1);
    const items = Array.from({ length: 10 }, (_, i) => ({ link: `https://cse.example/r/${start + i}`, title: 'Moonlit Harbor', snippet: '' }));
    return { type: 'application/json', body: JSON.stringify({ items, queries: start + 10 <= 91 ? { nextPage: [{ startIndex: start + 10 }] } : {} }) };
  });
  server.route('search.example', '/leaky', { type: 'application/json', body: JSON.stringify({ results: [{ url: 'https://x.example/1', title: 't', snippet: '' }], next: 'http://evil.example/steal' }) });

  ctx = {
    fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    onError: (url, e) => errors.push(`${url}: ${(e as Error).message}`),
  };
});
afterAll(() => server.close());

describe('sitemap source', () => {
  it('reads an index, a gzip child and a urlset, and crawls the listed pages, the title first', async () => {
    errors.length = 0;
    const s = (path: string): string => server.url('maps.example', path);
    const pages = await all(sitemapSource(server.url('maps.example', '/sitemap.xml'), { perHostDelayMs: 0, maxPages: 2 }));
    // maxPages 2 of 4 listed pages: the one whose address names the title is crawled first.
    expect(pages.map((p) => new URL(p.url).pathname)).toContain('/watch/moonlit-harbor-episode-3');
    expect(pages).toHaveLength(2);
    // A crawled page's .torrent links are its torrents, for torrent-check.ts.
    expect(pages.find((p) => p.url.endsWith('/watch/moonlit-harbor-episode-3'))!.torrents).toEqual([s('/files/Moonlit.Harbor.S01E03.torrent')]);
    expect(pages.every((p) => p.source === 'web' && p.sourceUrl === server.url('maps.example', '/sitemap.xml'))).toBe(true);
    // The missing child is reported; the self-reference is not fetched twice.
    expect(errors.some((e) => e.includes('/gone-sitemap.xml'))).toBe(true);
    expect(server.log.filter((l) => l.host === 'maps.example' && l.path === '/sitemap.xml')).toHaveLength(1);
  });

  it('parses urlsets and indexes, and names a document that is neither', () => {
    expect(parseSitemap(urlset(['https://a.example/1', 'javascript:alert(1)']), 'u')).toEqual({ kind: 'urlset', locations: ['https://a.example/1'] });
    expect(() => parseSitemap('<html><body>hi</body></html>', 'https://a.example/sitemap.xml')).toThrow(/https:\/\/a\.example\/sitemap\.xml has neither <urlset> nor <sitemapindex>/);
    expect(() => parseSitemap('<html></html>', 'u')).toThrow(expect.objectContaining({ code: 'VIGIL-E0414' }));
  });

  it('refuses a gzip bomb past its byte bound', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(() => sitemapText(bomb, 'https://a.example/s.xml.gz', 1024 * 1024)).toThrow(/could not be unpacked within 1048576 bytes/);
  });

  it('ranks compact and spaced slugs of a term ahead of the rest', () => {
    expect(rankByTerms(['https://a.example/x', 'https://a.example/moonlitharbor-3', 'https://a.example/p?title=Moonlit+Harbor'], ['Moonlit Harbor']))
      .toEqual(['https://a.example/moonlitharbor-3', 'https://a.example/p?title=Moonlit+Harbor', 'https://a.example/x']);
  });
});

describe('paging through Torznab and search results', () => {
  it('pages a Torznab indexer with offset and limit up to maxResults', async () => {
    const before = server.log.length;
    const pages = await all(torznabSource(server.url('paged.example', '/api'), undefined, 230));
    expect(pages).toHaveLength(230);
    const asked = server.log.slice(before).map((l) => new URL(`http://x${l.path}`).searchParams);
    expect(asked.map((q) => `${q.get('offset')}/${q.get('limit')}`)).toEqual(['0/100', '100/100', '200/30']);
  });

  it('stops at the declared total, and at an indexer that repeats itself', async () => {
    expect(await all(torznabSource(server.url('paged.example', '/api'), undefined, 1000))).toHaveLength(250);
    const before = server.log.length;
    expect(await all(torznabSource(server.url('stuck.example', '/api'), undefined, 1000))).toHaveLength(100);
    expect(server.log.length - before).toBe(2);
  });

  it('pages a generic search API by offset and Google CSE by start, within maxResults', async () => {
    expect(await all(searchSource(server.url('search.example', '/generic'), undefined, 100))).toHaveLength(35);
    const cse = await all(searchSource(server.url('search.example', '/cse'), undefined, 25));
    expect(cse.map((p) => p.url)).toEqual(Array.from({ length: 25 }, (_, i) => `https://cse.example/r/${i + 1}`));
  });

  it('does not follow a next link to another origin', async () => {
    const before = server.log.length;
    expect(await all(searchSource(server.url('search.example', '/leaky'), undefined, 50))).toHaveLength(1);
    expect(server.log.slice(before).map((l) => l.host)).toEqual(['search.example']);
  });

  it('maps catalog sources with maxResults and the sitemap kind', () => {
    expect(sourceFor({ type: 'sitemap', url: 'https://a.example/sitemap.xml', maxPages: 5 }).kind).toBe('sitemap');
    expect(sourceFor({ type: 'torznab', url: 'https://a.example/api', maxResults: 500 }).kind).toBe('torznab');
  });
});

describe('catalog validation of source fields', () => {
  it('rejects maxResults on a web source and depth on a sitemap, naming file, line and field', () => {
    const yaml = `kind: Site
id: s1
spec:
  type: piracy
  domains: [a.example]
  sources:
    - { type: web, url: "https://a.example/", maxResults: 10 }
    - type: sitemap
      url: https://a.example/sitemap.xml
      depth: 2
    - { type: search, url: "https://api.example/s", maxResults: 500 }
`;
    const result = loadCatalog([{ path: 'sites/s1.yaml', content: yaml }]);
    const messages = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`);
    expect(messages.some((m) => /^sites\/s1\.yaml:7:\d+ .*sources\[0\]\.maxResults does not apply here: maxResults applies to search and torznab/.test(m))).toBe(true);
    expect(messages.some((m) => /^sites\/s1\.yaml:10:\d+ .*sources\[1\]\.depth does not apply here/.test(m))).toBe(true);
    expect(messages.filter((m) => m.includes('sources[2]'))).toEqual([]);
  });
});
