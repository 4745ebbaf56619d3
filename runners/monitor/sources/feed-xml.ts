import { XMLParser } from 'fast-xml-parser';
import { parseHtml } from '../html.js';

/** RSS 2.0 and Atom items as plain records; Torznab is RSS with torznab:attr elements. */

export interface FeedItem {
  title: string;
  link?: string;
  guid?: string;
  comments?: string;
  description: string;
  enclosures: { url: string; type?: string }[];
  categories: string[];
  /** torznab:attr name → value (seeders, size, magneturl, infohash, ...). */
  attrs: Record<string, string>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  textNodeName: '#text',
  isArray: (name) => ['item', 'entry', 'link', 'enclosure', 'category', 'attr'].includes(name),
  processEntities: true,
  htmlEntities: true,
});

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(textOf).join(' ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('#text' in o) return textOf(o['#text']);
    if ('@term' in o) return textOf(o['@term']);
  }
  return '';
}

/** Feed text may carry escaped HTML; phase 1 wants its words. */
export function plainText(html: string): string {
  return /<[a-z!/]/i.test(html) ? parseHtml(html, 'http://feed.invalid/').text : html.trim();
}

export function parseFeed(xml: string): { title: string; items: FeedItem[] } {
  const doc = parser.parse(xml) as Record<string, unknown>;
  const rss = doc.rss as Record<string, unknown> | undefined;
  const channel = (rss?.channel ?? doc.channel) as Record<string, unknown> | undefined;
  if (channel) {
    const items = asArray(channel.item as Record<string, unknown>[] | undefined).map((item): FeedItem => {
      const attrs: Record<string, string> = {};
      for (const a of asArray(item.attr as Record<string, unknown>[] | undefined)) {
        const name = textOf(a['@name']);
        if (name) attrs[name] = textOf(a['@value']);
      }
      const link = asArray(item.link as unknown[]).map(textOf).find((l) => l !== '');
      const guid = textOf(item.guid);
      const comments = textOf(item.comments);
      return {
        title: textOf(item.title),
        ...(link ? { link } : {}),
        ...(guid ? { guid } : {}),
        ...(comments ? { comments } : {}),
        description: plainText(textOf(item.description ?? item.encoded)),
        enclosures: asArray(item.enclosure as Record<string, unknown>[] | undefined).map((e) => ({ url: textOf(e['@url']), ...(e['@type'] ? { type: textOf(e['@type']) } : {}) })).filter((e) => e.url !== ''),
        categories: asArray(item.category as unknown[]).map(textOf).filter(Boolean),
        attrs,
      };
    });
    return { title: textOf(channel.title), items };
  }
  const feed = doc.feed as Record<string, unknown> | undefined;
  if (feed) {
    const items = asArray(feed.entry as Record<string, unknown>[] | undefined).map((entry): FeedItem => {
      const links = asArray(entry.link as Record<string, unknown>[] | undefined);
      const alternate = links.find((l) => !l['@rel'] || l['@rel'] === 'alternate');
      const link = alternate ? textOf(alternate['@href']) : undefined;
      return {
        title: plainText(textOf(entry.title)),
        ...(link ? { link } : {}),
        ...(entry.id ? { guid: textOf(entry.id) } : {}),
        description: plainText(textOf(entry.summary ?? entry.content)),
        enclosures: links.filter((l) => l['@rel'] === 'enclosure').map((l) => ({ url: textOf(l['@href']), ...(l['@type'] ? { type: textOf(l['@type']) } : {}) })),
        categories: asArray(entry.category as unknown[]).map(textOf).filter(Boolean),
        attrs: {},
      };
    });
    return { title: textOf(feed.title), items };
  }
  throw new Error('neither an RSS channel nor an Atom feed');
}

export function isHttpUrl(value: string | undefined): value is string {
  if (!value) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
