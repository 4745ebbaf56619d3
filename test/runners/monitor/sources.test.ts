import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { parseHtml } from '../../../runners/monitor/html.js';
import { rssSource } from '../../../runners/monitor/sources/rss.js';
import { parseSearchResults, searchSource } from '../../../runners/monitor/sources/search.js';
import { torznabSource } from '../../../runners/monitor/sources/torznab.js';
import type { Page, Source, SourceContext } from '../../../runners/monitor/sources/types.js';
import { crawlWeb, webSource } from '../../../runners/monitor/sources/web.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

let server: FixtureServer;
let ctx: SourceContext;
const errors: string[] = [];

async function all(source: Source | AsyncIterable<Page>, terms: string[] = ['Moonlit Harbor']): Promise<Page[]> {
  const out: Page[] = [];
  const it = 'collect' in source ? source.collect({ terms }, ctx) : source;
  for await (const p of it) out.push(p);
  return out;
}

beforeAll(async () => {
  server = await startFixtureServer();
  const u = (path: string) => server.url('crawl.example', path);
  server.route('crawl.example', '/', { body: piracyTemplate({ title: 'Home', body: 'latest', links: [u('/a'), u('/b'), server.url('elsewhere.example', '/x')] }) });
  server.route('crawl.example', '/a', { body: piracyTemplate({ title: 'A', body: 'page a', links: [u('/a/deep')] }) });
  server.route('crawl.example', '/b', { status: 301, headers: { location: u('/b2') } });
  server.route('crawl.example', '/b2', { body: piracyTemplate({ title: 'B2', body: 'page b', links: [u('/b2/deep')] }) });
  server.route('crawl.example', '/a/deep', { body: piracyTemplate({ title: 'deep', body: 'deep', links: [u('/a/deeper')] }) });
  server.route('crawl.example', '/b2/deep', { body: piracyTemplate({ title: 'deep b', body: 'deep' }) });
  server.route('crawl.example', '/a/deeper', { body: piracyTemplate({ title: 'deeper', body: 'too deep' }) });
  server.route('elsewhere.example', '/x', { body: 'never crawled' });
  // A seed that moved: the old domain redirects to the new one, whose links are crawled.
  server.route('old.example', '/', { status: 301, headers: { location: server.url('moved.example', '/') } });
  server.route('moved.example', '/', { body: piracyTemplate({ title: 'moved', body: 'new home', links: [server.url('moved.example', '/p1')] }) });
  server.route('moved.example', '/p1', { body: piracyTemplate({ title: 'p1', body: 'a page' }) });
  // Politeness: eight pages on one host.
  server.route('slow.example', '/', { body: piracyTemplate({ title: 'index', body: '', links: [1, 2, 3, 4, 5, 6, 7].map((i) => server.url('slow.example', `/p${i}`)) }) });
  for (let i = 1; i <= 7; i += 1) server.route('slow.example', `/p${i}`, { body: piracyTemplate({ title: `p${i}`, body: '' }), delayMs: 30 });

  server.route('feeds.example', '/rss', {
    type: 'application/rss+xml',
    body: `<?xml version="1.0"?><rss version="2.0"><channel><title>TV</title>
      <item><title>Moonlit Harbor S01E03 1080p WEB-DL</title><link>https://bay.example/t/1</link><description>&lt;p&gt;Magnet &amp; &lt;b&gt;torrent&lt;/b&gt;&lt;/p&gt;</description>
        <enclosure url="magnet:?xt=urn:btih:abc" type="application/x-bittorrent"/><category>TV</category></item>
      <item><title>Other show</title><link>https://bay.example/t/2</link><description>x</description></item>
    </channel></rss>`,
  });
  server.route('feeds.example', '/atom', {
    type: 'application/atom+xml',
    body: `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
      <entry><title>달빛 항구 3화 다시보기</title><link href="https://blog.example/p/3"/><id>tag:1</id><summary>무료보기 링크</summary></entry></feed>`,
  });
  server.route('indexer.example', '/api', (_req, url) => {
    if (url.searchParams.get('apikey') !== 'secret') return { type: 'application/xml', body: '<?xml version="1.0"?><error code="100" description="Invalid API Key"/>' };
    const q = url.searchParams.get('q') ?? '';
    return {
      type: 'application/rss+xml',
      body: `<?xml version="1.0"?><rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>
        <item><title>${q} S01E02 720p HDTV x264</title><guid>https://indexer.example/details/${encodeURIComponent(q)}-2</guid>
          <comments>https://indexer.example/details/${encodeURIComponent(q)}-2</comments><link>https://indexer.example/dl/2.torrent</link>
          <torznab:attr name="seeders" value="42"/><torznab:attr name="magneturl" value="magnet:?xt=urn:btih:def"/></item>
        <item><title>Shared result</title><guid>https://indexer.example/details/shared</guid></item>
      </channel></rss>`,
    };
  });
  server.route('search.example', '/v1/search', (req, url) => ({
    type: 'application/json',
    body: JSON.stringify(req.headers.authorization === 'Bearer k1'
      ? { results: [{ url: 'https://hop.example/watch/3', title: `${url.searchParams.get('q')} ep 3`, snippet: 'watch free' }, { url: 'ftp://x', title: 'bad' }] }
      : { results: [] }),
  }));

  ctx = {
    fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    env: { VIGIL_SOURCE_INDEXER_KEY: 'secret', VIGIL_SOURCE_SEARCH_KEY: 'k1' },
    onError: (url, e) => errors.push(`${url}: ${(e as Error).message}`),
  };
});
afterAll(() => server.close());

describe('web crawler', () => {
  it('crawls to the depth limit on the seed site only, recording redirects', async () => {
    const pages = await all(webSource(server.url('crawl.example', '/'), { depth: 2, perHostDelayMs: 0 }));
    const paths = pages.map((p) => new URL(p.url).pathname).sort();
    expect(paths).toEqual(['/', '/a', '/a/deep', '/b2', '/b2/deep']);
    const b2 = pages.find((p) => p.url.endsWith('/b2'))!;
    expect(b2.requestedUrl).toBe(server.url('crawl.example', '/b'));
    expect(b2.redirects).toEqual([{ from: server.url('crawl.example', '/b'), to: server.url('crawl.example', '/b2'), status: 301 }]);
    expect(server.log.some((l) => l.host === 'elsewhere.example')).toBe(false);
    expect(pages.every((p) => p.source === 'web' && p.html !== undefined)).toBe(true);
  });

  it('stops at the page limit', async () => {
    const pages = await all(webSource(server.url('crawl.example', '/'), { depth: 5, maxPages: 3, perHostDelayMs: 0 }));
    expect(pages.length).toBe(3);
  });

  it('follows a seed that redirects to a new domain and crawls the new domain', async () => {
    const pages = await all(webSource(server.url('old.example', '/'), { depth: 1, perHostDelayMs: 0 }));
    expect(pages.map((p) => p.url).sort()).toEqual([server.url('moved.example', '/'), server.url('moved.example', '/p1')]);
    expect(pages[0]!.redirects[0]).toMatchObject({ status: 301, from: server.url('old.example', '/') });
  });

  it('keeps per-host concurrency and spaces requests by the delay', async () => {
    const start = server.log.length;
    const pages = await all(crawlWeb([server.url('slow.example', '/')], { depth: 1, perHostConcurrency: 1, perHostDelayMs: 80, concurrency: 8 }, ctx));
    expect(pages.length).toBe(8);
    const times = server.log.slice(start).filter((l) => l.host === 'slow.example').map((l) => l.at);
    // One at a time with a 30 ms answer and an 80 ms spacing: without the delay the requests (8 pages
    // and what the crawler asks of the host besides) would come ~30 ms apart. A loaded machine delays
    // single arrivals at the server (one gap may read 38 ms while the next reads 120), so the span
    // of all of them is measured, allowing one arrival's jitter.
    expect(times.length).toBeGreaterThanOrEqual(8);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((times.length - 1) * 80 - 40);
  });
});

describe('feeds, indexers and search', () => {
  it('reads RSS items with their text, links and magnets', async () => {
    const pages = await all(rssSource(server.url('feeds.example', '/rss')));
    expect(pages).toHaveLength(2);
    expect(pages[0]).toMatchObject({ url: 'https://bay.example/t/1', title: 'Moonlit Harbor S01E03 1080p WEB-DL', source: 'rss', torrents: ['magnet:?xt=urn:btih:abc'] });
    expect(pages[0]!.text).toContain('Magnet & torrent');
    expect(pages[0]!.text).not.toContain('<b>');
  });

  it('reads Atom entries', async () => {
    const pages = await all(rssSource(server.url('feeds.example', '/atom')));
    expect(pages).toEqual([expect.objectContaining({ url: 'https://blog.example/p/3', title: '달빛 항구 3화 다시보기', text: '무료보기 링크' })]);
  });

  it('asks a Torznab indexer once per term with the key from the environment, yielding each item once', async () => {
    const pages = await all(torznabSource(server.url('indexer.example', '/api'), 'VIGIL_SOURCE_INDEXER_KEY'), ['Moonlit Harbor', '달빛 항구']);
    expect(pages.map((p) => p.title)).toEqual(['Moonlit Harbor S01E02 720p HDTV x264', 'Shared result', '달빛 항구 S01E02 720p HDTV x264']);
    expect(pages[0]!.torrents).toContain('magnet:?xt=urn:btih:def');
    expect(pages[0]!.text).toContain('seeders 42');
    expect(server.log.filter((l) => l.host === 'indexer.example').map((l) => new URL(`http://x${l.path}`).searchParams.get('t'))).toEqual(['search', 'search']);
  });

  it('reports an indexer error without leaking the key', async () => {
    errors.length = 0;
    const pages = await all(torznabSource(server.url('indexer.example', '/api'), 'VIGIL_SOURCE_NO_SUCH_KEY'));
    expect(pages).toEqual([]);
    expect(errors.join('\n')).toMatch(/Invalid API Key/);
    const withKey = await all(torznabSource(server.url('indexer.example', '/api'), 'VIGIL_SOURCE_SEARCH_KEY'));
    expect(withKey).toEqual([]);
    expect(errors.join('\n')).not.toContain('k1');
  });

  it('reads a JSON search API with a bearer key and drops non-http results', async () => {
    const pages = await all(searchSource(server.url('search.example', '/v1/search'), 'VIGIL_SOURCE_SEARCH_KEY'));
    expect(pages).toEqual([expect.objectContaining({ url: 'https://hop.example/watch/3', title: 'Moonlit Harbor ep 3', text: 'watch free', source: 'search' })]);
  });

  it('understands the result shapes of common search APIs', () => {
    const r = { url: 'https://a.example/', title: 't', snippet: 's' };
    expect(parseSearchResults({ results: [r] })).toEqual([r]);
    expect(parseSearchResults({ items: [{ link: r.url, title: 't', snippet: 's' }] })).toEqual([r]);
    expect(parseSearchResults({ webPages: { value: [{ url: r.url, name: 't', snippet: 's' }] } })).toEqual([r]);
    expect(parseSearchResults({ web: { results: [{ url: r.url, title: 't', description: 's' }] } })).toEqual([r]);
    expect(parseSearchResults('nonsense')).toEqual([]);
  });
});

describe('HTML features', () => {
  it('reads title, visible text, links, media, favicon, tracking ids and refresh', () => {
    const f = parseHtml(`<html><head><title> Moonlit  Harbor </title><link rel="shortcut icon" href="/i.png"><meta http-equiv="refresh" content="0; url=https://next.example/">
      <script>gtag('config','UA-1234567-1'); var x = "<p>not text</p>";</script><script data-ad-client="ca-pub-1234567890123456"></script></head>
      <body><p>Watch &amp; download</p><a href="/e/3#top">ep3</a><a href="mailto:x@y">mail</a><video><source src="/v/ep3.m3u8"></video><img data-src="/scan/001.jpg"></body></html>`, 'https://site.example/show/');
    expect(f.title).toBe('Moonlit Harbor');
    expect(f.text).toBe('Watch & download ep3 mail');
    expect(f.links).toEqual(['https://site.example/e/3']);
    expect(f.media).toEqual([{ url: 'https://site.example/v/ep3.m3u8', kind: 'hls' }, { url: 'https://site.example/scan/001.jpg', kind: 'image' }]);
    expect(f.favicon).toBe('https://site.example/i.png');
    expect(f.trackingIds).toEqual(['UA-1234567-1', 'pub-1234567890123456']);
    expect(f.refresh).toBe('https://next.example/');
    expect(f.structure.length).toBeGreaterThan(0);
  });
});
