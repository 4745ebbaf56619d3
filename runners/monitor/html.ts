import { Parser } from 'htmlparser2';
import { MEDIA_PATH, scriptMedia } from './player-scripts.js';

/**
 * What phase 1, phase 2 and hop detection read from an HTML page, gathered in one streaming parse:
 * the title, visible text, links, favicon, analytics and ad IDs, the page's structure as shingled tag
 * paths (the template a site family reuses when it moves to a new domain), and everything a browser
 * would find media through without running the page: <video>/<source>, lazy attributes (data-src,
 * data-lazy, data-original, srcset) on any element, og:video and twitter:player, JSON-LD VideoObject,
 * player set-ups in inline scripts (player-scripts.ts), iframes and embeds (players one level down),
 * external scripts (read by acquisition), and a cyberlocker's download anchors and forms.
 */

export type MediaKind = 'video' | 'hls' | 'dash' | 'image';

/** A form a cyberlocker's file page submits to reach the file (hidden id, "op=download2"). */
export interface PageForm {
  action: string;
  method: 'get' | 'post';
  fields: [string, string][];
}

export interface HtmlFeatures {
  title: string;
  text: string;
  /** Absolute http(s) links, in document order, without fragments. */
  links: string[];
  /** Magnet links (`magnet:?…`), in document order: a torrent index's detail page often has no .torrent link. */
  magnets: string[];
  /** Video files, HLS and DASH playlists and images that may carry the media (absolute URLs), by what the markup says. */
  media: { url: string; kind: MediaKind }[];
  /** URLs a player or lazy attribute names whose type only the response can tell (no media extension). */
  probes: string[];
  /** Pages that may hold the player: iframes, embeds, JSON-LD embedUrl, twitter:player. */
  frames: string[];
  /** External scripts (src), which may set the player up. */
  scripts: string[];
  /** Links that look like a download button or a countdown's target. */
  downloads: string[];
  /** Same-site links that say they play the file ("Watch online", "Stream", "Ver online"): a locker file page's stream page. */
  watch?: string[];
  /** Forms with hidden fields or method POST (a locker's "free download" step). */
  forms: PageForm[];
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

/** What a URL's path says it is; undefined when only the response can tell. */
export function mediaKindOfUrl(url: string): Exclude<MediaKind, 'image'> | undefined {
  let path: string;
  try { path = new URL(url).pathname.toLowerCase(); } catch { return undefined; }
  if (path.endsWith('.m3u8')) return 'hls';
  if (path.endsWith('.mpd')) return 'dash';
  if (MEDIA_PATH.test(path)) return 'video';
  return undefined;
}

const IMAGE_PATH = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;
// data-href / data-link: a locker's download button whose script navigates there on click.
const LAZY = ['data-src', 'data-lazy', 'data-lazy-src', 'data-original', 'data-url', 'data-file', 'data-video', 'data-stream', 'data-hls', 'data-href', 'data-link'];
const OG_VIDEO = new Set(['og:video', 'og:video:url', 'og:video:secure_url', 'twitter:player:stream']);
const DOWNLOAD_WORDS = /\b(download|descargar|baixar|télécharger|scarica|herunterladen|tải|скачать|다운로드|ダウンロード|下载|下載|تحميل|indir)\b/i;
const DOWNLOAD_HREF = /(^|[/?&._-])(download|dl|get|file)([/?&=._-]|$)/i;
// A button that plays the file in the browser; lockers put the stream one page away from the file page.
const WATCH_WORDS = /\b(watch online|watch now|stream(ing)?|play online|ver online|ver en l[ií]nea|assistir online|xem online|regarder en ligne|guarda online)\b|çevrimiçi izle|смотреть онлайн|مشاهدة|온라인 보기|바로보기|オンライン視聴|今すぐ見る|在线观看|線上觀看/i;
// Players set up by a JSON attribute (video.js data-setup, Plyr data-plyr-config, many themes' data-config).
const JSON_ATTRIBUTE = /^\s*[{[]/;
// <source type=…> names a playlist whose URL may say nothing (…/playlist, …/manifest?id=).
const TYPE_KIND: Record<string, 'hls' | 'dash'> = { 'application/x-mpegurl': 'hls', 'application/vnd.apple.mpegurl': 'hls', 'audio/mpegurl': 'hls', 'application/dash+xml': 'dash' };
const SCRIPT_TYPES = new Set(['', 'text/javascript', 'application/javascript', 'module', 'text/babel']);

/** The largest candidate of a srcset ("a.jpg 480w, b.jpg 1080w"): the last is the largest by convention. */
function srcsetLast(srcset: string): string | undefined {
  const parts = srcset.split(',').map((p) => p.trim().split(/\s+/)[0]).filter((p): p is string => !!p);
  return parts.at(-1);
}

/** The URLs a JSON-LD block names as a video's contentUrl (media) and embedUrl (a player page). */
function jsonLdVideos(value: unknown, out: { content: string[]; embed: string[] }, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) { for (const v of value) jsonLdVideos(v, out, depth + 1); return; }
  const o = value as Record<string, unknown>;
  const pick = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  out.content.push(...pick(o.contentUrl));
  out.embed.push(...pick(o.embedUrl));
  for (const [k, v] of Object.entries(o)) if (k !== 'contentUrl' && k !== 'embedUrl') jsonLdVideos(v, out, depth + 1);
}

export function parseHtml(html: string, baseUrl: string): HtmlFeatures {
  const stack: string[] = [];
  let skipDepth = 0;
  let inTitle = false;
  let title = '';
  const text: string[] = [];
  const links: string[] = [];
  const magnets: string[] = [];
  const seenLinks = new Set<string>();
  const media: HtmlFeatures['media'] = [];
  const alts: string[] = [];
  const seenMedia = new Set<string>();
  const paths: string[] = [];
  let favicon: string | undefined;
  let refresh: string | undefined;
  let canonical: string | undefined;
  let base = baseUrl;

  const probes = new Set<string>();
  const frames = new Set<string>();
  const scripts = new Set<string>();
  const downloads = new Set<string>();
  const watch = new Set<string>();
  const forms: PageForm[] = [];
  let form: PageForm | undefined;
  let script: { kind: 'js' | 'ld' | 'other'; text: string } | undefined;
  let anchor: { href: string; text: string; shown: string; download: boolean } | undefined;
  const ld = { content: [] as string[], embed: [] as string[] };
  const inlineScripts: string[] = [];
  const jsonAttributes: string[] = [];

  const addMedia = (href: string | undefined, kind?: MediaKind): void => {
    const url = absolute(href, base);
    const k = url ? (kind === 'video' ? mediaKindOfUrl(url) ?? 'video' : kind === 'image' ? 'image' : kind ?? mediaKindOfUrl(url)) : undefined;
    if (url && k && !seenMedia.has(url)) { seenMedia.add(url); media.push({ url, kind: k }); }
  };
  /** A reference whose type the markup does not fix: media by its name, else a probe for the response to decide. */
  const addCandidate = (href: string | undefined): void => {
    const url = absolute(href, base);
    if (!url) return;
    if (mediaKindOfUrl(url)) addMedia(url);
    else if (IMAGE_PATH.test(new URL(url).pathname)) addMedia(url, 'image');
    else probes.add(url);
  };
  const addFrame = (href: string | undefined): void => {
    const url = absolute(href, base);
    if (url && url !== baseUrl) frames.add(url);
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
        const magnet = attrs.href?.trim();
        if (magnet && /^magnet:\?/i.test(magnet) && !magnets.includes(magnet)) magnets.push(magnet);
        const href = absolute(attrs.href, base);
        if (href && !seenLinks.has(href)) { seenLinks.add(href); links.push(href); }
        if (href) addMedia(href);
        if (href) anchor = { href, text: `${attrs.class ?? ''} ${attrs.title ?? ''} ${attrs.id ?? ''}`, shown: attrs.title ?? '', download: 'download' in attrs };
      }
      if (name === 'meta') {
        const property = (attrs.property ?? attrs.name ?? '').toLowerCase();
        if (OG_VIDEO.has(property)) addCandidate(attrs.content);
        if (property === 'twitter:player') addFrame(attrs.content);
      }
      if (name === 'script') {
        const type = (attrs.type ?? '').toLowerCase();
        if (attrs.src) { const src = absolute(attrs.src, base); if (src) scripts.add(src); }
        script = { kind: type === 'application/ld+json' ? 'ld' : SCRIPT_TYPES.has(type) ? 'js' : 'other', text: '' };
      }
      if (name === 'form') {
        form = { action: absolute(attrs.action || baseUrl, base) ?? baseUrl, method: (attrs.method ?? '').toLowerCase() === 'post' ? 'post' : 'get', fields: [] };
      }
      if (name === 'input' && form && attrs.name && ['hidden', 'submit'].includes((attrs.type ?? 'text').toLowerCase())) form.fields.push([attrs.name, attrs.value ?? '']);
      if (name === 'button' && form && attrs.name) form.fields.push([attrs.name, attrs.value ?? '']);
      // Lazy loading puts the real address in an attribute a script copies later, on any element.
      for (const a of LAZY) {
        if (!attrs[a]) continue;
        if (name === 'img') addMedia(attrs[a], IMAGE_PATH.test(attrs[a]!.split('?')[0]!) || !mediaKindOfUrl(absolute(attrs[a], base) ?? '') ? 'image' : undefined);
        else if (name === 'iframe' || name === 'embed') addFrame(attrs[a]);
        else addCandidate(attrs[a]);
      }
      if (attrs.srcset || attrs['data-srcset']) {
        const last = srcsetLast(attrs['data-srcset'] ?? attrs.srcset!);
        if (name === 'img' || name === 'source' && stack.includes('picture')) addMedia(last, 'image'); else addCandidate(last);
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
      if ((name === 'video' || name === 'source') && !(name === 'source' && stack.includes('picture'))) {
        const hinted = TYPE_KIND[(attrs.type ?? '').split(';')[0]!.trim().toLowerCase()];
        addMedia(attrs.src, hinted ?? 'video');
      }
      for (const [a, v] of Object.entries(attrs)) if (a.startsWith('data-') && JSON_ATTRIBUTE.test(v)) jsonAttributes.push(v);
      if (name === 'iframe' || name === 'frame') {
        const src = absolute(attrs.src, base);
        if (src && !seenLinks.has(src)) { seenLinks.add(src); links.push(src); }
        addFrame(attrs.src);
      }
      if (name === 'embed') addCandidate(attrs.src);
      if (name === 'object') addCandidate(attrs.data);
      // A lazy image's src is a placeholder (a blank gif); the lazy attribute has the picture.
      if (name === 'img' && !LAZY.some((a) => attrs[a]) && !attrs['data-srcset']) addMedia(attrs.src, 'image');
      if (name === 'img') for (const a of [attrs.alt, attrs.title]) if (a && a.trim() !== '') alts.push(a.trim());
      if (!VOID.has(name)) stack.push(name);
    },
    ontext(data) {
      if (script) script.text += data;
      if (anchor) { anchor.text += ` ${data}`; anchor.shown += ` ${data}`; }
      if (inTitle) title += data;
      else if (skipDepth === 0) text.push(data);
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      if (name === 'script' && script) {
        if (script.kind === 'ld') {
          try { jsonLdVideos(JSON.parse(script.text), ld); } catch { /* a broken JSON-LD block names nothing */ }
        } else if (script.kind === 'js' && script.text.trim()) inlineScripts.push(script.text);
        script = undefined;
      }
      if (name === 'a' && anchor) {
        let path = '';
        try { path = new URL(anchor.href).pathname; } catch { /* absolute() made it a URL */ }
        if (anchor.download || DOWNLOAD_WORDS.test(anchor.text) || DOWNLOAD_HREF.test(path)) downloads.add(anchor.href);
        else if (WATCH_WORDS.test(anchor.shown)) watch.add(anchor.href);
        anchor = undefined;
      }
      if (name === 'form' && form) {
        if (form.method === 'post' || form.fields.length > 0) forms.push(form);
        form = undefined;
      }
      if (SKIP_TEXT.has(name)) skipDepth = Math.max(0, skipDepth - 1);
      if (VOID.has(name)) return;
      const at = stack.lastIndexOf(name);
      if (at >= 0) stack.length = at;
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.write(html);
  parser.end();
  for (const u of ld.content) addCandidate(u);
  for (const u of ld.embed) addFrame(u);
  for (const text of [...inlineScripts, ...jsonAttributes]) {
    for (const f of scriptMedia(text, base)) {
      if (f.role === 'next') downloads.add(f.url); else if (f.role === 'page-image') addMedia(f.url, 'image'); else addCandidate(f.url);
    }
  }

  const structure = new Set<number>();
  for (let i = 0; i + SHINGLE <= paths.length; i += 1) structure.add(fnv1a(paths.slice(i, i + SHINGLE).join('|')));
  // ca-pub-N and pub-N name the same AdSense account.
  const trackingIds = [...new Set((html.match(TRACKING) ?? []).map((id) => id.replace(/^ca-/, '')))].sort();
  return {
    title: title.replace(/\s+/g, ' ').trim(),
    text: text.join(' ').replace(/\s+/g, ' ').trim(),
    links,
    magnets,
    media,
    probes: [...probes].filter((u) => !seenMedia.has(u) && !frames.has(u)),
    frames: [...frames].filter((u) => !seenMedia.has(u)),
    scripts: [...scripts],
    downloads: [...downloads].filter((u) => !seenMedia.has(u) && u !== baseUrl),
    ...(watch.size > 0 ? { watch: [...watch].filter((u) => !seenMedia.has(u) && !downloads.has(u) && u !== baseUrl) } : {}),
    forms,
    ...(favicon ? { favicon } : {}),
    trackingIds,
    structure: [...structure].sort((a, b) => a - b),
    ...(refresh ? { refresh } : {}),
    ...(canonical ? { canonical } : {}),
    ...(alts.length > 0 ? { alt: alts.join(' \n ') } : {}),
  };
}
