import { VigilError } from '../../core/errors.js';

/**
 * Pure HLS (RFC 8216) reading for downloads: a master playlist's variants, a media playlist's
 * segments (TS, or fMP4 with its EXT-X-MAP init section, byte ranges included), and the checks
 * that refuse what cannot become one finite copy: a segment list that repeats, an encrypted one.
 * No I/O here: leak-download.ts fetches and follows.
 */

/** A byte range of a resource: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** One piece to fetch: a URL, or part of one. */
export interface MediaPart {
  url: string;
  range?: ByteRange;
}

export interface HlsVariant {
  url: string;
  /** bits/s (BANDWIDTH), 0 when the playlist does not say. */
  bandwidth: number;
  width?: number;
  height?: number;
  codecs?: string;
  /** Whether the variant is audio only (CODECS names only audio codecs). */
  audioOnly: boolean;
}

export interface HlsMaster {
  kind: 'master';
  variants: HlsVariant[];
}

export interface HlsMedia {
  kind: 'media';
  /** fMP4's initialization section (EXT-X-MAP), fetched once before the segments. */
  map?: MediaPart;
  segments: (MediaPart & { duration: number })[];
  /** EXT-X-ENDLIST or PLAYLIST-TYPE:VOD: the list is complete. */
  ended: boolean;
  targetDuration: number;
  mediaSequence: number;
  /** Seconds, the sum of EXTINF. */
  duration: number;
}

export type HlsPlaylist = HlsMaster | HlsMedia;

function unreadable(url: string, why: string): VigilError {
  return new VigilError('PLAYLIST_UNREADABLE', `the HLS playlist ${url} ${why}`);
}

/** Attribute lists (KEY=value,KEY="quoted, with commas") as a map. */
export function parseAttributes(list: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (let m = re.exec(list); m; m = re.exec(list)) out.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
  return out;
}

function resolveUrl(ref: string, base: string, playlist: string): string {
  try {
    const u = new URL(ref, base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(u.protocol);
    return u.href;
  } catch {
    throw unreadable(playlist, `names ${JSON.stringify(ref.slice(0, 200))}, which is not an http(s) URL`);
  }
}

/** `n[@o]`; without @o the range follows the previous range of the same resource. */
function byteRange(value: string, previousEnd: number | undefined, playlist: string, line: number): ByteRange {
  const m = /^(\d+)(?:@(\d+))?$/.exec(value.trim());
  if (!m) throw unreadable(playlist, `line ${line}: EXT-X-BYTERANGE ${JSON.stringify(value)} is not n[@o]`);
  const offset = m[2] !== undefined ? Number(m[2]) : previousEnd;
  if (offset === undefined) throw unreadable(playlist, `line ${line}: EXT-X-BYTERANGE without @offset follows no earlier range`);
  return { offset, length: Number(m[1]) };
}

const AUDIO_CODEC = /^(mp4a|ac-3|ec-3|opus|flac|alac|mp3|dtsc|dtse|dtsh|dtsl)/i;

/** Parses a playlist fetched from `url` (after redirects: relative URIs resolve against it). */
export function parseHls(text: string, url: string): HlsPlaylist {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw unreadable(url, 'does not start with #EXTM3U');
  if (lines.some((l) => l.startsWith('#EXT-X-STREAM-INF'))) {
    const variants: HlsVariant[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('#EXT-X-STREAM-INF:')) continue;
      const attrs = parseAttributes(lines[i]!.slice('#EXT-X-STREAM-INF:'.length));
      const next = lines.slice(i + 1).find((l) => l !== '' && !l.startsWith('#'));
      if (!next) throw unreadable(url, `line ${i + 1}: EXT-X-STREAM-INF is not followed by the variant's URI`);
      const [w, h] = (attrs.get('RESOLUTION') ?? '').split('x').map(Number);
      const codecs = attrs.get('CODECS');
      const audioOnly = codecs !== undefined && codecs.split(',').every((c) => AUDIO_CODEC.test(c.trim())) && !attrs.has('RESOLUTION');
      variants.push({
        url: resolveUrl(next, url, url), bandwidth: Number(attrs.get('BANDWIDTH') ?? 0) || 0, audioOnly,
        ...(w && h ? { width: w, height: h } : {}), ...(codecs ? { codecs } : {}),
      });
    }
    return { kind: 'master', variants };
  }
  const segments: HlsMedia['segments'] = [];
  let map: MediaPart | undefined;
  let ended = false;
  let targetDuration = 0;
  let mediaSequence = 0;
  let duration: number | undefined;
  let range: ByteRange | undefined;
  const lastEnd = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    const n = i + 1;
    if (line === '') continue;
    if (line.startsWith('#')) {
      const colon = line.indexOf(':');
      const tag = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1);
      switch (tag) {
        case '#EXTINF': duration = Number(value.split(',')[0]); break;
        case '#EXT-X-TARGETDURATION': targetDuration = Number(value) || 0; break;
        case '#EXT-X-MEDIA-SEQUENCE': mediaSequence = Number(value) || 0; break;
        case '#EXT-X-ENDLIST': ended = true; break;
        case '#EXT-X-PLAYLIST-TYPE': if (value.trim() === 'VOD') ended = true; break;
        case '#EXT-X-BYTERANGE': range = byteRangeAfter(value, lastEnd, segments, url, n); break;
        case '#EXT-X-KEY':
        case '#EXT-X-SESSION-KEY': {
          const method = parseAttributes(value).get('METHOD') ?? 'NONE';
          if (method !== 'NONE') throw unreadable(url, `line ${n}: segments are encrypted (EXT-X-KEY METHOD=${method}); Vigil does not decrypt leaks`);
          break;
        }
        case '#EXT-X-MAP': {
          const attrs = parseAttributes(value);
          const uri = attrs.get('URI');
          if (!uri) throw unreadable(url, `line ${n}: EXT-X-MAP has no URI`);
          const mapUrl = resolveUrl(uri, url, url);
          const r = attrs.get('BYTERANGE');
          if (map && map.url !== mapUrl) throw unreadable(url, `line ${n}: a second EXT-X-MAP (${mapUrl}) changes the initialization section mid-stream`);
          map = { url: mapUrl, ...(r ? { range: byteRange(r, 0, url, n) } : {}) };
          break;
        }
        default: break;
      }
      continue;
    }
    if (duration === undefined || !Number.isFinite(duration)) throw unreadable(url, `line ${n}: segment ${JSON.stringify(line.slice(0, 200))} has no #EXTINF duration before it`);
    const segUrl = resolveUrl(line, url, url);
    const part: HlsMedia['segments'][number] = { url: segUrl, duration, ...(range ? { range } : {}) };
    if (range) lastEnd.set(segUrl, range.offset + range.length);
    segments.push(part);
    duration = undefined;
    range = undefined;
  }
  return { kind: 'media', ...(map ? { map } : {}), segments, ended, targetDuration, mediaSequence, duration: segments.reduce((s, x) => s + x.duration, 0) };
}

function byteRangeAfter(value: string, lastEnd: Map<string, number>, segments: readonly MediaPart[], playlist: string, line: number): ByteRange {
  // Without @o the range continues the previous segment's range of the same URI; that segment is the last one listed.
  const prev = segments.at(-1);
  const previousEnd = prev?.range ? lastEnd.get(prev.url) : undefined;
  return byteRange(value, previousEnd, playlist, line);
}

/** A stable key for one part: a URL with its range. */
export function partKey(p: MediaPart): string {
  return p.range ? `${p.url}#${p.range.offset}-${p.range.length}` : p.url;
}

/**
 * Pure: whether a segment list repeats itself: one block listed again and again (a, b, c, a, b, c),
 * or so few distinct segments that most of the list is the same pieces (a slate reused once or twice
 * is fine; a list that is half repeats is not a copy of a video).
 */
export function repeatingSegments(parts: readonly MediaPart[]): { period: number } | { distinct: number } | undefined {
  const keys = parts.map(partKey);
  const n = keys.length;
  if (n < 2) return undefined;
  for (let p = 1; p * 2 <= n; p++) {
    let periodic = true;
    for (let k = p; k < n && periodic; k++) periodic = keys[k] === keys[k % p];
    if (periodic) return { period: p };
  }
  const distinct = new Set(keys).size;
  return distinct * 2 < n ? { distinct } : undefined;
}

/**
 * Pure: the variant to download: the best (highest bandwidth) video variant whose estimated size over
 * `seconds` fits `maxBytes`; when none fits, the smallest (the byte bound then stops it if it must).
 * Audio-only variants are never picked while a video one exists.
 */
export function pickVariant<V extends { bandwidth: number; audioOnly?: boolean }>(variants: readonly V[], seconds: number | undefined, maxBytes: number): V | undefined {
  const video = variants.filter((v) => !v.audioOnly);
  const pool = [...(video.length > 0 ? video : variants)].sort((a, b) => b.bandwidth - a.bandwidth);
  if (seconds === undefined || !Number.isFinite(seconds)) return pool[0];
  return pool.find((v) => (v.bandwidth / 8) * seconds <= maxBytes) ?? pool.at(-1);
}
