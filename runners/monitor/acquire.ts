import { open } from 'node:fs/promises';
import { dashParts, parseMpd } from '../media/dash.js';
import { parseHls, type HlsVariant, type MediaPart } from '../media/hls.js';
import { classifyRemovedPage } from '../takedown/removed-page.js';
import { hostOf } from '../../core/url.js';
import type { Fetcher, FetchResult } from './fetch.js';
import { mediaKindOfUrl, parseHtml, type HtmlFeatures } from './html.js';
import { scriptMedia } from './player-scripts.js';
import { registrableDomain } from './url.js';

/**
 * Finding and downloading the media behind a page the way a browser would reach it, without
 * running one: the page's own media, then what only a response can tell (a lazy attribute or a
 * player URL without extension, sniffed by Content-Type and first bytes), a locker's download
 * anchor or form, players in iframes across hosts (bounded in depth and count), and same-site
 * external scripts that set a player up. Always through the safe fetcher (never ffmpeg's own
 * network stack, which knows nothing of private-address rules or size limits). Used by phase 2 and
 * by the evidence pack; watermark detection (runners/watermark/leak-download.ts) shares `sniff`.
 */

export const VIDEO_TYPES = ['video/*', 'application/octet-stream', 'application/mp4'];
const DOCUMENT_BYTES = 2 * 1024 * 1024;
const HTML_TYPES = ['text/html', 'application/xhtml+xml'];

export interface VideoMedia {
  url: string;
  kind: 'video' | 'hls' | 'dash';
}

/** Media found behind a page, with the pages read on the way (the page itself first). */
export interface FoundMedia extends VideoMedia {
  via: string[];
  /** Found by the headless browser (browser.ts), not in the markup. */
  rendered?: boolean;
}

export interface MediaSearch {
  media: FoundMedia[];
  /** Pages on the way that are soft 404s ("file not found" with 200), with the signals that said so. */
  removed: { url: string; signals: string[] }[];
  /** Requests made. */
  requests: number;
}

export interface FindLimits {
  /** Pages below the start page (iframe in iframe, locker page → countdown page): at most this deep. */
  depth: number;
  /** Requests for one page's media, everything together. */
  requests: number;
  /** Same-site external scripts read per page. */
  scripts: number;
}

export const FIND_DEFAULTS: FindLimits = { depth: 3, requests: 16, scripts: 3 };
/** Same-site "watch online" links read per page (html.ts `watch`). */
export const WATCH_LINKS = 2;

/** What a first look at a response says it is: its Content-Type, then its first bytes. */
export function sniff(res: Pick<FetchResult, 'contentType' | 'body'>): 'hls' | 'dash' | 'page' | 'media' {
  const type = res.contentType.split(';')[0]!.trim().toLowerCase();
  const head = res.body.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('#EXTM3U') || /mpegurl/.test(type)) return 'hls';
  if (type === 'application/dash+xml' || (/^<\?xml|^<MPD/i.test(head) && /<MPD[\s>]/.test(head))) return 'dash';
  if (HTML_TYPES.includes(type) || /^<!doctype html|^<html|^<head|^<body/i.test(head)) return 'page';
  return 'media';
}

// Player libraries and ad scripts: they never name a page's own media.
const LIBRARY_SCRIPT = /(jquery|bootstrap|analytics|gtag|gtm|googletag|adsbygoogle|recaptcha|cloudflare|popper|fontawesome)/i;

interface Doc { url: string; features: HtmlFeatures; via: string[]; depth: number }

/**
 * Looks for the video behind `start` (a crawled page's parsed HTML, or its bare media list). Breadth
 * first, so the page's own media come before an iframe's, and an iframe's before a nested one's.
 */
export async function findMedia(fetch: Fetcher, start: { url: string; html?: HtmlFeatures; body?: string; media: HtmlFeatures['media'] }, limits: Partial<FindLimits> = {}, signal?: AbortSignal): Promise<MediaSearch> {
  const l = { ...FIND_DEFAULTS, ...limits };
  const out: MediaSearch = { media: [], removed: [], requests: 0 };
  const seen = new Set<string>([start.url]);
  const add = (url: string, kind: VideoMedia['kind'], via: string[]): void => {
    if (!out.media.some((m) => m.url === url)) out.media.push({ url, kind, via });
  };
  if (start.body && isRemoved(start.body, start.url, out)) return out;
  const features = start.html ?? { media: start.media, probes: [], frames: [], scripts: [], downloads: [], forms: [] } as unknown as HtmlFeatures;
  const queue: Doc[] = [{ url: start.url, features, via: [start.url], depth: 0 }];
  const get = async (url: string, o: { form?: PageForm; range?: boolean } = {}): Promise<FetchResult | undefined> => {
    if (out.requests >= l.requests || signal?.aborted) return undefined;
    out.requests += 1;
    try {
      return await fetch(url, {
        accept: ['*'], maxBytes: o.range ? 64 * 1024 * 1024 : DOCUMENT_BYTES,
        ...(o.range ? { headers: { range: 'bytes=0-65535' } } : {}),
        ...(o.form ? { form: o.form.fields } : {}), ...(signal ? { signal } : {}),
      });
    } catch {
      return undefined;
    }
  };
  /** A URL whose type only its response tells: media, a playlist, or another page to read. */
  const probe = async (doc: Doc, url: string, form?: PageForm, mediaOnly = false): Promise<void> => {
    const key = form ? `${url} ${JSON.stringify(form.fields)}` : url;
    if (seen.has(key)) return;
    seen.add(key);
    const res = await get(url, { ...(form ? { form } : {}), range: !form });
    if (!res) return;
    const kind = sniff(res);
    if (kind === 'hls' || kind === 'dash') add(res.finalUrl, kind, doc.via);
    else if (kind === 'media') add(res.finalUrl, 'video', doc.via);
    else if (doc.depth < l.depth && !mediaOnly) {
      const text = res.text();
      if (isRemoved(text, res.finalUrl, out, url)) return;
      queue.push({ url: res.finalUrl, features: parseHtml(text, res.finalUrl), via: [...doc.via, res.finalUrl], depth: doc.depth + 1 });
    }
  };
  while (queue.length > 0 && out.media.length === 0) {
    const doc = queue.shift()!;
    const f = doc.features;
    for (const m of f.media) if (m.kind !== 'image') add(m.url, m.kind, doc.via);
    if (out.media.length > 0) break;
    for (const u of f.probes) await probe(doc, u);
    // A download button on another site is a link list's entry (round.ts follows those as pages of
    // their own); here it counts only when it answers with the media itself.
    const site = registrableDomain(hostOf(doc.url));
    for (const u of f.downloads) await probe(doc, u, undefined, registrableDomain(hostOf(u)) !== site);
    for (const form of f.forms) await probe(doc, form.action, form.method === 'post' ? form : undefined);
    if (out.media.length > 0) break;
    // A file page's "Watch online / Stream" button: the same file played one page away (lockers
    // whose download is closed keep the stream open). Only the page's own site, and few: a stream
    // button elsewhere is a link list's entry, followed by round.ts as a page of its own.
    for (const u of (f.watch ?? []).filter((w) => registrableDomain(hostOf(w)) === site).slice(0, WATCH_LINKS)) await probe(doc, u);
    if (out.media.length > 0) break;
    // Same-site scripts set up the player; a CDN's libraries do not name the page's media.
    const scripts = f.scripts.filter((s) => registrableDomain(hostOf(s)) === site && !LIBRARY_SCRIPT.test(new URL(s).pathname)).slice(0, l.scripts);
    for (const s of scripts) {
      if (seen.has(s)) continue;
      seen.add(s);
      const res = await get(s);
      if (!res) continue;
      for (const found of scriptMedia(res.text(), doc.url)) {
        if (found.role === 'page-image') continue; // a comic's pages, read from the page's own scripts (html.ts)
        const kind = found.role === 'media' ? mediaKindOfUrl(found.url) : undefined;
        if (kind) add(found.url, kind, doc.via); else await probe(doc, found.url);
      }
    }
    if (doc.depth >= l.depth) continue;
    for (const frame of f.frames) {
      if (seen.has(frame)) continue;
      seen.add(frame);
      const res = await get(frame);
      if (!res) continue;
      const kind = sniff(res);
      if (kind !== 'page') { add(res.finalUrl, kind === 'media' ? 'video' : kind, doc.via); continue; }
      const text = res.text();
      if (isRemoved(text, res.finalUrl, out, frame)) continue;
      queue.push({ url: res.finalUrl, features: parseHtml(text, res.finalUrl), via: [...doc.via, res.finalUrl], depth: doc.depth + 1 });
    }
  }
  return out;
}

type PageForm = HtmlFeatures['forms'][number];

/** A soft 404: "file not found / removed" answered with 200 (runners/takedown/removed-page.ts decides). */
function isRemoved(html: string, finalUrl: string, out: MediaSearch, requestedUrl = finalUrl): boolean {
  const v = classifyRemovedPage({ html, requestedUrl, finalUrl });
  if (v.removed) out.removed.push({ url: finalUrl, signals: v.signals });
  return v.removed;
}

/**
 * Pure: the HLS variant for a fingerprint: the lowest bandwidth with a picture of at least
 * `minHeight` lines (fingerprints hash a 32x32 reduction, so more only costs bytes), else the
 * largest below it; audio-only variants never.
 */
export function sufficientVariant<V extends Pick<HlsVariant, 'bandwidth' | 'height' | 'audioOnly'>>(variants: readonly V[], minHeight = 144): V | undefined {
  const video = variants.filter((v) => !v.audioOnly);
  const pool = [...(video.length > 0 ? video : variants)].sort((a, b) => a.bandwidth - b.bandwidth);
  return pool.find((v) => v.height === undefined || v.height >= minHeight) ?? pool.at(-1);
}

/** The parts (init section first) of the first `maxSegments` segments of an HLS or DASH playlist, from its response. */
async function playlistParts(fetch: Fetcher, first: FetchResult, kind: 'hls' | 'dash', maxSegments: number): Promise<MediaPart[]> {
  let res = first;
  if (kind === 'dash') {
    const mpd = parseMpd(res.text(), res.finalUrl);
    const period = mpd.periods.find((p) => p.representations.some((r) => r.video));
    if (!period) throw new Error(`the DASH manifest ${res.finalUrl} has no video Representation`);
    const rep = sufficientVariant(period.representations.filter((r) => r.video).map((r) => ({ ...r, audioOnly: false })))!;
    const parts = dashParts(rep, period, res.finalUrl, 100_000);
    return [...(parts.init ? [parts.init] : []), ...parts.segments.slice(0, maxSegments)];
  }
  for (let depth = 0; ; depth += 1) {
    const parsed = parseHls(res.text(), res.finalUrl);
    if (parsed.kind === 'media') return [...(parsed.map ? [parsed.map] : []), ...parsed.segments.slice(0, maxSegments).map((s) => ({ url: s.url, ...(s.range ? { range: s.range } : {}) }))];
    const variant = sufficientVariant(parsed.variants);
    if (!variant || depth >= 2) throw new Error(`the HLS master playlist ${res.finalUrl} names no usable variant`);
    res = await fetch(variant.url, { accept: ['*'], maxBytes: DOCUMENT_BYTES });
  }
}

/**
 * Writes a video file, or the first segments of an HLS or DASH rendition joined as one stream
 * (ffmpeg decodes TS and fragmented MP4 so), to `file`. Returns the bytes written. What the media
 * is comes from the response's first bytes (`sniff`), not from the URL or the markup that named it:
 * an HLS master at `…/playlist` served as `application/x-mpegURL`, or named by a `.mp4` link, is
 * read as a playlist.
 */
export async function downloadVideo(fetch: Fetcher, media: VideoMedia, file: string, limits: { maxBytes: number; maxSegments: number }): Promise<number> {
  const res = await fetch(media.url, { accept: ['*'], maxBytes: media.kind === 'video' ? limits.maxBytes : Math.max(DOCUMENT_BYTES, limits.maxBytes) });
  const kind = sniff(res);
  if (kind === 'page') throw new Error(`${res.finalUrl} is a page, not a video`);
  const handle = await open(file, 'w');
  let size = 0;
  try {
    if (kind === 'media') {
      await handle.write(res.body);
      return res.body.length;
    }
    for (const part of await playlistParts(fetch, res, kind, limits.maxSegments)) {
      const r = await fetch(part.url, {
        accept: ['*'], maxBytes: Math.max(1, limits.maxBytes - size),
        ...(part.range ? { headers: { range: `bytes=${part.range.offset}-${part.range.offset + part.range.length - 1}` } } : {}),
      });
      const body = part.range && r.status === 200 ? r.body.subarray(part.range.offset, part.range.offset + part.range.length) : r.body;
      await handle.write(body);
      size += body.length;
    }
  } finally {
    await handle.close();
  }
  return size;
}
