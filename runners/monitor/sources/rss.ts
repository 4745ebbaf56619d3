import { VigilError } from '../../../core/errors.js';
import { isHttpUrl, parseFeed, type FeedItem } from './feed-xml.js';
import { XML_TYPES, type Page, type PageSource, type Source } from './types.js';

/** RSS and Atom feeds: each item is a page of its own (title and summary), read without visiting the link. */

export function itemPage(item: FeedItem, base: string, source: PageSource, sourceUrl: string): Page | undefined {
  const candidates = [item.comments, item.link, item.guid].filter(isHttpUrl);
  const resolved = candidates.map((c) => new URL(c, base).href);
  const url = resolved[0];
  const torrents = [
    ...item.enclosures.map((e) => e.url).filter((u) => u.startsWith('magnet:') || /\.torrent($|\?)/i.test(u) || /bittorrent/i.test(u)),
    ...(item.attrs.magneturl ? [item.attrs.magneturl] : []),
    ...[item.link].filter((l): l is string => typeof l === 'string' && l.startsWith('magnet:')),
    // Torznab's <link> is the item's download link (the .torrent), whatever its path looks like.
    ...(source === 'torznab' && isHttpUrl(item.link) ? [new URL(item.link, base).href] : []),
  ];
  const pageUrl = url ?? (item.link?.startsWith('magnet:') ? item.link : undefined);
  if (!pageUrl) return undefined;
  const attrs = Object.entries(item.attrs).filter(([k]) => k !== 'magneturl').map(([k, v]) => `${k} ${v}`);
  return {
    url: pageUrl,
    title: item.title,
    text: [item.description, ...item.categories, ...attrs].filter(Boolean).join(' \n '),
    source,
    sourceUrl,
    redirects: [],
    links: resolved,
    media: item.enclosures.filter((e) => /^video\//.test(e.type ?? '') || /\.(mp4|mkv|webm|m3u8)$/i.test(e.url)).map((e) => ({ url: e.url, kind: /\.m3u8$/i.test(e.url) ? 'hls' as const : 'video' as const })),
    ...(torrents.length > 0 ? { torrents: [...new Set(torrents)] } : {}),
  };
}

export function rssSource(url: string): Source {
  return {
    kind: 'rss',
    url,
    async *collect(_query, ctx) {
      let items: FeedItem[];
      let base = url;
      try {
        const res = await ctx.fetch(url, { accept: [...XML_TYPES, 'text/plain'], ...(ctx.signal ? { signal: ctx.signal } : {}) });
        base = res.finalUrl;
        items = parseFeed(res.text()).items;
      } catch (error) {
        ctx.onError?.(url, error instanceof VigilError ? error : new VigilError('FETCH_FAILED', `could not read the feed at ${url}: ${(error as Error).message}`, { cause: error }));
        return;
      }
      for (const item of items) {
        const page = itemPage(item, base, 'rss', url);
        if (page) yield page;
      }
    },
  };
}
