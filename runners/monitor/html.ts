import { Parser } from 'htmlparser2';

/**
 * What phase 1 and hop detection read from an HTML page, gathered in one streaming parse: the title,
 * visible text, links, media, favicon, analytics and ad IDs, and the page's structure as shingled
 * tag paths (the template a site family reuses when it moves to a new domain).
 */

export interface HtmlFeatures {
  title: string;
  text: string;
  /** Absolute http(s) links, in document order, without fragments. */
  links: string[];
  /** Video files, HLS playlists and images that may carry the media (absolute URLs). */
  media: { url: string; kind: 'video' | 'hls' | 'image' }[];
  favicon?: string;
  /** Google Analytics (UA-, G-), Tag Manager (GTM-), AdSense (ca-pub-) and similar IDs in the page. */
  trackingIds: string[];
  /** 32-bit hashes of 4-grams of tag paths. */
  structure: number[];
  /** A <meta http-equiv=refresh> or canonical target, which hopping sites use to point at a new domain. */
  refresh?: string;
  canonical?: string;
  /** Images' alt and title attributes, where a page may name what it shows and nowhere else. */
  alt?: string;
}

const SKIP_TEXT = new Set(['script', 'style', 'noscript', 'template', 'svg']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const TRACKING = /\b(UA-\d{4,10}-\d{1,4}|G-[A-Z0-9]{6,12}|GTM-[A-Z0-9]{4,10}|ca-pub-\d{10,20}|pub-\d{10,20}|AW-\d{6,12})\b/g;

/** An http(s) link resolved against its page, without its fragment; anything else is undefined. */
export function absolute(href: string | undefined, base: string): string | undefined {
  if (!href) return undefined;
  try {
    const u = new URL(href.trim(), base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    u.hash = '';
    return u.href;
  } catch {
    return undefined;
  }
}

/** FNV-1a, 32 bit: a stable, cheap hash for shingles. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SHINGLE = 4;

function mediaKind(url: string): 'video' | 'hls' | 'image' | undefined {
  const path = url.split('?')[0]!.toLowerCase();
  if (path.endsWith('.m3u8')) return 'hls';
  if (/\.(mp4|mkv|webm|mov|avi|ts)$/.test(path)) return 'video';
  return undefined;
}

export function parseHtml(html: string, baseUrl: string): HtmlFeatures {
  const stack: string[] = [];
  let skipDepth = 0;
  let inTitle = false;
  let title = '';
  const text: string[] = [];
  const links: string[] = [];
  const seenLinks = new Set<string>();
  const media: HtmlFeatures['media'] = [];
  const alts: string[] = [];
  const seenMedia = new Set<string>();
  const paths: string[] = [];
  let favicon: string | undefined;
  let refresh: string | undefined;
  let canonical: string | undefined;
  let base = baseUrl;

  const addMedia = (href: string | undefined, kind?: 'video' | 'hls' | 'image'): void => {
    const url = absolute(href, base);
    const k = url ? (kind === 'video' ? mediaKind(url) ?? 'video' : kind ?? mediaKind(url)) : undefined;
    if (url && k && !seenMedia.has(url)) { seenMedia.add(url); media.push({ url, kind: k }); }
  };

  const parser = new Parser({
    onopentag(name, attrs) {
      const cls = (attrs.class ?? '').trim().split(/\s+/).filter(Boolean).sort().slice(0, 2).join('.');
      const path = `${stack.slice(-3).join('>')}>${name}${cls ? `.${cls}` : ''}`;
      paths.push(path);
      if (SKIP_TEXT.has(name)) skipDepth += 1;
      if (name === 'title') inTitle = true;
      if (name === 'base' && attrs.href) base = absolute(attrs.href, baseUrl) ?? base;
      if (name === 'a') {
        const href = absolute(attrs.href, base);
        if (href && !seenLinks.has(href)) { seenLinks.add(href); links.push(href); }
        if (href) addMedia(href);
      }
      if (name === 'link') {
        const rel = (attrs.rel ?? '').toLowerCase().split(/\s+/);
        if (rel.includes('icon')) favicon ??= absolute(attrs.href, base);
        if (rel.includes('canonical')) canonical = absolute(attrs.href, base);
      }
      if (name === 'meta' && (attrs['http-equiv'] ?? '').toLowerCase() === 'refresh') {
        const m = /url\s*=\s*['"]?([^'"]+)/i.exec(attrs.content ?? '');
        refresh = absolute(m?.[1], base);
      }
      if (name === 'video' || name === 'source') addMedia(attrs.src, 'video');
      if (name === 'iframe') {
        const src = absolute(attrs.src, base);
        if (src && !seenLinks.has(src)) { seenLinks.add(src); links.push(src); }
      }
      if (name === 'img') {
        addMedia(attrs['data-src'] ?? attrs.src, 'image');
        for (const a of [attrs.alt, attrs.title]) if (a && a.trim() !== '') alts.push(a.trim());
      }
      if (!VOID.has(name)) stack.push(name);
    },
    ontext(data) {
      if (inTitle) title += data;
      else if (skipDepth === 0) text.push(data);
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      if (SKIP_TEXT.has(name)) skipDepth = Math.max(0, skipDepth - 1);
      if (VOID.has(name)) return;
      const at = stack.lastIndexOf(name);
      if (at >= 0) stack.length = at;
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.write(html);
  parser.end();

  const structure = new Set<number>();
  for (let i = 0; i + SHINGLE <= paths.length; i += 1) structure.add(fnv1a(paths.slice(i, i + SHINGLE).join('|')));
  // ca-pub-N and pub-N name the same AdSense account.
  const trackingIds = [...new Set((html.match(TRACKING) ?? []).map((id) => id.replace(/^ca-/, '')))].sort();
  return {
    title: title.replace(/\s+/g, ' ').trim(),
    text: text.join(' ').replace(/\s+/g, ' ').trim(),
    links,
    media,
    ...(favicon ? { favicon } : {}),
    trackingIds,
    structure: [...structure].sort((a, b) => a - b),
    ...(refresh ? { refresh } : {}),
    ...(canonical ? { canonical } : {}),
    ...(alts.length > 0 ? { alt: alts.join(' \n ') } : {}),
  };
}
