import { Parser } from 'htmlparser2';
import { absolute, parseHtml } from '../monitor/html.js';

/**
 * Pure: where a page's player keeps the media, for a download. The <video>/<source> and media links
 * come from the monitor's own page reading (runners/monitor/html.ts parseHtml), so detection and
 * phase 2 see the same media; on top, what a player page names without a <video> element: og:video
 * (and twitter:player:stream), JSON-LD VideoObject contentUrl / embedUrl, player iframes (to be read
 * one level down), and a cyberlocker's download link. Issue 12 may move these into parseHtml.
 */

export interface PageMedia {
  /** URLs that should be the media itself (a file, an HLS or DASH playlist), best first. */
  media: string[];
  /** Pages that may hold the player (iframes, JSON-LD embedUrl), to read one level down. */
  frames: string[];
  /** Links that look like a cyberlocker's download button; tried after the media. */
  downloads: string[];
}

const MEDIA_PATH = /\.(mp4|m4v|mkv|webm|mov|avi|ts|m3u8|mpd)$/i;
const OG_VIDEO = new Set(['og:video', 'og:video:url', 'og:video:secure_url', 'twitter:player:stream']);
const DOWNLOAD_WORDS = /\b(download|descargar|baixar|télécharger|tải|다운로드|ダウンロード|تحميل)\b/i;
const DOWNLOAD_HREF = /(^|[/?&._-])(download|dl|get|file)([/?&=._-]|$)/i;

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

export function pageMedia(html: string, pageUrl: string): PageMedia {
  const features = parseHtml(html, pageUrl);
  const og: string[] = [];
  const frames: string[] = [];
  const downloads: string[] = [];
  const ld = { content: [] as string[], embed: [] as string[] };
  let base = pageUrl;
  let script: { ld: boolean; text: string } | undefined;
  let anchor: { href: string; text: string; download: boolean } | undefined;
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'base' && attrs.href) base = absolute(attrs.href, pageUrl) ?? base;
      if (name === 'meta' && OG_VIDEO.has((attrs.property ?? attrs.name ?? '').toLowerCase())) {
        const u = absolute(attrs.content, base);
        if (u) og.push(u);
      }
      if (name === 'iframe' || name === 'embed') {
        const u = absolute(attrs.src ?? attrs['data-src'], base);
        if (u) frames.push(u);
      }
      if (name === 'script') script = { ld: (attrs.type ?? '').toLowerCase() === 'application/ld+json', text: '' };
      if (name === 'a') {
        const href = absolute(attrs.href, base);
        if (href) anchor = { href, text: `${attrs.class ?? ''} ${attrs.title ?? ''} ${attrs.id ?? ''}`, download: 'download' in attrs };
      }
    },
    ontext(text) {
      if (script) script.text += text;
      if (anchor) anchor.text += ` ${text}`;
    },
    onclosetag(name) {
      if (name === 'script' && script) {
        if (script.ld) {
          try { jsonLdVideos(JSON.parse(script.text), ld); } catch { /* a broken JSON-LD block names nothing */ }
        }
        script = undefined;
      }
      if (name === 'a' && anchor) {
        if (anchor.download || DOWNLOAD_WORDS.test(anchor.text) || DOWNLOAD_HREF.test(new URL(anchor.href).pathname)) downloads.push(anchor.href);
        anchor = undefined;
      }
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.write(html);
  parser.end();
  const players = features.media.filter((m) => m.kind !== 'image').map((m) => m.url);
  // Links to .mpd files are not media to parseHtml; a player page may still link one.
  const linked = features.links.filter((l) => MEDIA_PATH.test(new URL(l).pathname));
  const media = unique([...players, ...og, ...ld.content.map((u) => absolute(u, base)).filter((u): u is string => u !== undefined), ...linked]);
  return {
    media,
    frames: unique([...frames, ...ld.embed.map((u) => absolute(u, base)).filter((u): u is string => u !== undefined)]).filter((u) => !media.includes(u) && u !== pageUrl),
    downloads: unique(downloads).filter((u) => !media.includes(u) && u !== pageUrl),
  };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
