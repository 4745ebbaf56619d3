import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isVigilError, VigilError } from '../../core/errors.js';
import { dashParts, parseMpd, type DashManifest } from '../media/dash.js';
import { parseHls, pickVariant, repeatingSegments, type HlsMedia, type MediaPart } from '../media/hls.js';
import { sniff } from '../monitor/acquire.js';
import type { Fetcher, FetchResult } from '../monitor/fetch.js';
import { pageMedia } from './page-media.js';
import { RequirementNotMet } from './requirements.js';

/**
 * Downloads a leaked copy for watermark detection, whatever the link is: a media file (fetched in
 * ranged chunks, so memory holds one chunk), an HLS playlist (master → the best variant within the
 * byte budget → its segments, TS or fMP4 with EXT-X-MAP), a DASH manifest (the best video
 * Representation within the budget → init + media segments), or a page whose player names the
 * media (one level of iframes), a cyberlocker page's download link included. Every request goes
 * through the monitor's SSRF-safe fetcher; the whole copy is bounded in bytes, time, segments and
 * redirects, and a playlist that loops is refused. The parts are joined in one file ffmpeg decodes.
 */

export interface LeakLimits {
  /** Bytes of media for the whole copy (segments together). */
  maxBytes: number;
  /** Milliseconds for everything: pages, playlists and media. A server that dribbles bytes hits this. */
  maxTimeMs: number;
  maxSegments: number;
  /** Redirects per request. */
  maxRedirects: number;
  /** Bytes per ranged request of a media file. */
  chunkBytes: number;
  /** Bytes of one page, playlist or manifest. */
  maxDocumentBytes: number;
  /** A live HLS playlist is reloaded this many times for its end (EXT-X-ENDLIST) before it is refused. */
  maxLiveReloads: number;
  /** Wait between reloads of a live playlist; by default half its target duration (0.5 to 10 s). */
  liveReloadMs?: number;
}

export const DEFAULT_LEAK_LIMITS: LeakLimits = {
  // One GiB: a two-hour film at over 1 Mbit/s; detection reads at most 540 lines, so a lower variant loses nothing.
  maxBytes: 1024 * 1024 * 1024,
  maxTimeMs: 10 * 60_000,
  maxSegments: 5000,
  maxRedirects: 5,
  chunkBytes: 16 * 1024 * 1024,
  maxDocumentBytes: 4 * 1024 * 1024,
  maxLiveReloads: 6,
};

/** What was downloaded, as a record keeps it (evidence.detection.download). */
export interface LeakSource {
  kind: 'file' | 'hls' | 'dash';
  /** The media URL (the file, the media playlist or the manifest) after redirects. */
  url: string;
  /** Pages read on the way to it (the link given, an iframe). */
  via: string[];
  /** The HLS variant or DASH Representation chosen. */
  rendition?: { url?: string; id?: string; bandwidth: number; width?: number; height?: number };
  segments?: number;
}

export interface LeakDownload {
  file: string;
  bytes: number;
  source: LeakSource;
}

export interface LeakDownloadOptions {
  limits?: Partial<LeakLimits>;
  signal?: AbortSignal;
  /** Hears each step in a sentence (the CLI prints them). */
  onStep?: (message: string) => void;
}

interface Run {
  fetch: Fetcher;
  limits: LeakLimits;
  outer?: AbortSignal;
  deadline: AbortSignal;
  signal: AbortSignal;
  startedAt: number;
  bytes: number;
  dir: string;
  attempt: number;
  step: (message: string) => void;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/** A fetcher error in the words of the bound it hit, or the stop a person asked for. */
function translated(run: Run, error: unknown, url: string): unknown {
  if (run.outer?.aborted) return new VigilError('INTERRUPTED', `detection stopped while downloading ${url}`);
  if (run.deadline.aborted) {
    return new VigilError('DOWNLOAD_TOO_SLOW', `the download of ${url} did not finish within its time bound of ${Math.round(run.limits.maxTimeMs / 1000)} s (${mb(run.bytes)} of media had arrived)`);
  }
  if (isVigilError(error, 'FETCH_FAILED') && /larger than \d+ bytes/.test(error.message)) {
    return new VigilError('DOWNLOAD_TOO_LARGE', `${url} is larger than the copy's byte bound: ${mb(run.limits.maxBytes)} in all, ${mb(run.bytes)} already downloaded (${error.message})`);
  }
  return error;
}

function remainingMs(run: Run): number {
  return Math.max(1, run.limits.maxTimeMs - (Date.now() - run.startedAt));
}

async function get(run: Run, url: string, o: { maxBytes: number; range?: { offset: number; length: number }; accept?: string[] }): Promise<FetchResult> {
  if (run.deadline.aborted || run.outer?.aborted) throw translated(run, undefined, url);
  try {
    return await run.fetch(url, {
      accept: o.accept ?? ['*'], maxBytes: o.maxBytes, maxRedirects: run.limits.maxRedirects, signal: run.signal,
      // The run's deadline, not the fetcher's per-request default, decides when a slow server is given up on.
      timeoutMs: remainingMs(run) + 5000,
      ...(o.range ? { headers: { range: `bytes=${o.range.offset}-${o.range.offset + o.range.length - 1}`, 'accept-encoding': 'identity' } } : {}),
    });
  } catch (error) {
    throw translated(run, error, url);
  }
}

function tooLarge(run: Run, url: string, more: number): VigilError {
  return new VigilError('DOWNLOAD_TOO_LARGE', `${url} would take the copy past its byte bound: ${mb(run.bytes + more)} of at most ${mb(run.limits.maxBytes)}`);
}

/**
 * Appends one whole resource to `handle` at `at`, in ranged chunks while the server honours Range
 * (so memory holds one chunk), within what is left of the byte bound. `first` is a response already
 * in hand for its first chunk; `check` sees the first bytes before anything is written.
 */
async function appendResource(run: Run, handle: FileHandle, at: number, url: string, first?: FetchResult, check?: (head: Buffer) => void): Promise<number> {
  const base = run.bytes;
  const left = (): number => run.limits.maxBytes - run.bytes;
  if (left() <= 0) throw tooLarge(run, url, 1);
  let res = first ?? await get(run, url, { maxBytes: left(), range: { offset: 0, length: run.limits.chunkBytes } });
  check?.(res.body);
  let received = 0;
  for (;;) {
    // A server that stops honouring ranges mid-way sends the resource whole, from its start.
    if (res.status !== 206) received = 0;
    await handle.write(res.body, 0, res.body.length, at + received);
    received += res.body.length;
    run.bytes = base + received;
    if (res.status !== 206 || res.body.length === 0) return received;
    const m = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/i.exec(String(res.headers['content-range'] ?? ''));
    const total = m && m[3] !== '*' ? Number(m[3]) : undefined;
    if (total !== undefined && base + total > run.limits.maxBytes) throw tooLarge(run, url, total - received);
    if (total !== undefined ? received >= total : res.body.length < run.limits.chunkBytes) return received;
    if (left() <= 0) throw tooLarge(run, url, 1);
    res = await get(run, res.finalUrl, { maxBytes: Math.min(left(), run.limits.chunkBytes), range: { offset: received, length: Math.min(run.limits.chunkBytes, left() + 1) } });
  }
}

/** Writes parts to `file` in order, each within what is left of the byte bound. */
async function writeParts(run: Run, file: string, parts: readonly MediaPart[], label: string): Promise<number> {
  const handle = await open(file, 'w');
  let written = 0;
  const notPlaylist = (i: number, url: string) => (head: Buffer): void => {
    if (head.subarray(0, 16).toString('latin1').replace(/^\uFEFF/, '').trimStart().startsWith('#EXTM3U')) {
      throw new VigilError('PLAYLIST_LOOPS', `${label}: segment ${i + 1} (${url}) is itself a playlist, not media: the playlist refers back to a playlist`);
    }
  };
  try {
    for (const [i, part] of parts.entries()) {
      if (!part.range) {
        written += await appendResource(run, handle, written, part.url, undefined, notPlaylist(i, part.url));
      } else {
        const left = run.limits.maxBytes - run.bytes;
        if (left < part.range.length) throw tooLarge(run, part.url, part.range.length);
        const res = await get(run, part.url, { maxBytes: left, range: part.range });
        // A server that ignores the range sends the whole resource (within the bound): take the part.
        const body = res.status === 200 ? res.body.subarray(part.range.offset, part.range.offset + part.range.length) : res.body;
        notPlaylist(i, part.url)(body);
        await handle.write(body, 0, body.length, written);
        run.bytes += body.length;
        written += body.length;
      }
      if ((i + 1) % 50 === 0) run.step(`${i + 1} of ${parts.length} parts, ${mb(written)}`);
    }
  } finally {
    await handle.close();
  }
  return written;
}

/** A media file in ranged chunks (a server that ignores ranges sends it whole, still within the bound). */
async function downloadFile(run: Run, first: FetchResult, file: string): Promise<number> {
  const handle = await open(file, 'w');
  try {
    return await appendResource(run, handle, 0, first.finalUrl, first);
  } finally {
    await handle.close();
  }
}

async function document(run: Run, url: string): Promise<FetchResult> {
  return get(run, url, { maxBytes: run.limits.maxDocumentBytes });
}

function reloadWaitMs(run: Run, playlist: HlsMedia): number {
  return run.limits.liveReloadMs ?? Math.min(10_000, Math.max(500, (playlist.targetDuration * 1000) / 2));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/**
 * A media playlist, whole: a live one is reloaded (new segments by media sequence) until it ends;
 * one that never ends within the reloads is refused, as is one whose segments repeat.
 */
async function mediaPlaylist(run: Run, first: FetchResult, visited: Set<string>): Promise<HlsMedia> {
  const url = first.finalUrl;
  const parsed = parseHls(first.text(), url);
  if (parsed.kind !== 'media') throw new VigilError('PLAYLIST_UNREADABLE', `the HLS playlist ${url} is a master playlist where a media playlist was expected`);
  let playlist: HlsMedia = parsed;
  // Keyed by media sequence number, so a reload of a live playlist adds only what is new.
  const segments = new Map<number, HlsMedia['segments'][number]>(parsed.segments.map((s, i) => [parsed.mediaSequence + i, s]));
  for (let reload = 0; !playlist.ended; reload++) {
    if (reload >= run.limits.maxLiveReloads || segments.size > run.limits.maxSegments) {
      throw new VigilError('PLAYLIST_LOOPS', `the HLS playlist ${url} is live and never ends: no EXT-X-ENDLIST after ${reload} reloads (${segments.size} segments so far); detect a finished recording instead`);
    }
    run.step(`${url} is live (no EXT-X-ENDLIST): reloading for its end`);
    await sleep(reloadWaitMs(run, playlist), run.signal);
    const again = parseHls((await document(run, url)).text(), url);
    if (again.kind !== 'media') throw new VigilError('PLAYLIST_UNREADABLE', `the HLS playlist ${url} turned into a master playlist on reload`);
    again.segments.forEach((s, i) => segments.set(again.mediaSequence + i, s));
    playlist = again;
  }
  const all = [...segments.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  if (all.length === 0) throw new VigilError('PLAYLIST_UNREADABLE', `the HLS playlist ${url} lists no segments`);
  if (all.length > run.limits.maxSegments) throw new VigilError('PLAYLIST_UNREADABLE', `the HLS playlist ${url} has ${all.length} segments, more than the bound of ${run.limits.maxSegments} for one download`);
  const self = all.find((s) => visited.has(s.url) && !s.range);
  if (self) throw new VigilError('PLAYLIST_LOOPS', `the HLS playlist ${url} refers back to itself: its segment ${self.url} is a playlist already read`);
  const repeats = repeatingSegments(all);
  if (repeats) {
    throw new VigilError('PLAYLIST_LOOPS', `the HLS playlist ${url}: its segment list repeats (${'period' in repeats ? `the same ${repeats.period} segment${repeats.period === 1 ? '' : 's'} over and over` : `${repeats.distinct} distinct segments in ${all.length}`})`);
  }
  return { ...playlist, segments: all, duration: all.reduce((s, x) => s + x.duration, 0) };
}

async function downloadHls(run: Run, first: FetchResult, via: string[]): Promise<LeakDownload> {
  const visited = new Set<string>([first.url, first.finalUrl]);
  let res = first;
  let rendition: LeakSource['rendition'];
  for (let depth = 0; ; depth++) {
    const parsed = parseHls(res.text(), res.finalUrl);
    if (parsed.kind === 'media') break;
    if (depth >= 3) throw new VigilError('PLAYLIST_UNREADABLE', `the HLS playlist ${res.finalUrl} nests master playlists more than 3 deep`);
    if (parsed.variants.length === 0) throw new VigilError('PLAYLIST_UNREADABLE', `the HLS master playlist ${res.finalUrl} lists no variant`);
    const back = parsed.variants.find((v) => visited.has(v.url));
    if (back) throw new VigilError('PLAYLIST_LOOPS', `the HLS master playlist ${res.finalUrl} refers back to itself: its variant ${back.url} is a playlist already read`);
    if (parsed.variants.every((v) => v.audioOnly)) throw new RequirementNotMet('no video', `the HLS master playlist ${res.finalUrl} has only audio variants: there is no picture to read a watermark from`);
    // The best variant's length stands for all: variants of one master are renditions of one video.
    const best = pickVariant(parsed.variants, undefined, run.limits.maxBytes)!;
    let probe = await document(run, best.url);
    const probed = parseHls(probe.text(), probe.finalUrl);
    const chosen = probed.kind === 'media' ? pickVariant(parsed.variants, probed.duration, run.limits.maxBytes - run.bytes)! : best;
    if (chosen !== best) probe = await document(run, chosen.url);
    visited.add(chosen.url).add(probe.finalUrl);
    rendition = { url: chosen.url, bandwidth: chosen.bandwidth, ...(chosen.width ? { width: chosen.width, height: chosen.height } : {}) };
    run.step(`HLS master playlist: variant ${chosen.width ? `${chosen.width}x${chosen.height}, ` : ''}${Math.round(chosen.bandwidth / 1000)} kbit/s of ${parsed.variants.length}`);
    res = probe;
  }
  const playlist = await mediaPlaylist(run, res, visited);
  const parts = [...(playlist.map ? [playlist.map] : []), ...playlist.segments];
  const estimate = rendition && rendition.bandwidth > 0 ? (rendition.bandwidth / 8) * playlist.duration : 0;
  if (estimate > 0 && run.bytes + estimate > run.limits.maxBytes * 1.5) throw tooLarge(run, res.finalUrl, estimate);
  run.step(`HLS ${playlist.map ? 'fMP4' : 'TS'}: ${playlist.segments.length} segments, ${playlist.duration.toFixed(1)} s`);
  const file = path.join(run.dir, `leak-${++run.attempt}.${playlist.map ? 'mp4' : 'ts'}`);
  const bytes = await writeParts(run, file, parts, `the HLS playlist ${res.finalUrl}`);
  return { file, bytes, source: { kind: 'hls', url: res.finalUrl, via, ...(rendition ? { rendition } : {}), segments: playlist.segments.length } };
}

async function downloadDash(run: Run, first: FetchResult, via: string[]): Promise<LeakDownload> {
  const visited = new Set<string>([first.url, first.finalUrl]);
  let res = first;
  let mpd: DashManifest;
  for (;;) {
    mpd = parseMpd(res.text(), res.finalUrl);
    if (mpd.type === 'dynamic') throw new VigilError('PLAYLIST_LOOPS', `the DASH manifest ${res.finalUrl} is live (type="dynamic") and never ends; detect a finished (static) manifest instead`);
    if (mpd.periods.length > 0 || !mpd.location) break;
    // A manifest without Periods that names its new Location: follow it, once per address.
    if (visited.has(mpd.location)) throw new VigilError('PLAYLIST_LOOPS', `the DASH manifest ${res.finalUrl} refers back to itself: its Location ${mpd.location} was already read`);
    visited.add(mpd.location);
    res = await document(run, mpd.location);
    visited.add(res.finalUrl);
  }
  const url = res.finalUrl;
  for (const p of mpd.periods) {
    if (p.xlinkHref && visited.has(p.xlinkHref)) throw new VigilError('PLAYLIST_LOOPS', `the DASH manifest ${url} refers back to itself: a Period's xlink:href is ${p.xlinkHref}`);
    if (p.xlinkHref) throw new VigilError('PLAYLIST_UNREADABLE', `the DASH manifest ${url} has a remote Period (xlink:href ${p.xlinkHref}); Vigil reads Periods written in the manifest`);
  }
  const period = mpd.periods.find((p) => p.representations.some((r) => r.video));
  if (!period) {
    if (mpd.periods.some((p) => p.representations.length > 0)) throw new RequirementNotMet('no video', `the DASH manifest ${url} has no video Representation (audio or text only): there is no picture to read a watermark from`);
    throw new VigilError('PLAYLIST_UNREADABLE', `the DASH manifest ${url} has no Period with a Representation`);
  }
  const rep = pickVariant(period.representations.filter((r) => r.video), period.duration, run.limits.maxBytes - run.bytes)!;
  const parts = dashParts(rep, period, url, run.limits.maxSegments);
  const all = [...(parts.init ? [parts.init] : []), ...parts.segments];
  const back = all.find((p) => visited.has(p.url) && !p.range);
  if (back) throw new VigilError('PLAYLIST_LOOPS', `the DASH manifest ${url} refers back to itself: its Representation ${JSON.stringify(rep.id)} names ${back.url}`);
  run.step(`DASH: Representation ${JSON.stringify(rep.id)}${rep.width ? ` ${rep.width}x${rep.height}` : ''}, ${Math.round(rep.bandwidth / 1000)} kbit/s, ${parts.segments.length} segment${parts.segments.length === 1 ? '' : 's'}`);
  const file = path.join(run.dir, `leak-${++run.attempt}.${rep.mimeType === 'video/webm' ? 'webm' : 'mp4'}`);
  const bytes = await writeParts(run, file, all, `the DASH manifest ${url}`);
  return {
    file, bytes,
    source: { kind: 'dash', url, via, rendition: { id: rep.id, bandwidth: rep.bandwidth, ...(rep.width ? { width: rep.width, height: rep.height } : {}) }, segments: parts.segments.length },
  };
}

/** How many of a page's media links, download links and iframes are tried. */
const PAGE_CANDIDATES = { media: 8, downloads: 4, frames: 4 } as const;

/** Errors that end the whole download at once: the time is up, or a person stopped it. */
const ENDS_RUN = (e: unknown): boolean => isVigilError(e, 'INTERRUPTED') || isVigilError(e, 'DOWNLOAD_TOO_SLOW');

async function fromPage(run: Run, page: FetchResult, via: string[], depth: number): Promise<LeakDownload> {
  const found = pageMedia(page.text(), page.finalUrl);
  // A page full of links must not become a crawl: a few candidates of each kind, best first.
  const tries: { url: string; page: boolean }[] = [
    ...found.media.slice(0, PAGE_CANDIDATES.media).map((url) => ({ url, page: false })),
    ...found.downloads.slice(0, PAGE_CANDIDATES.downloads).map((url) => ({ url, page: false })),
    // A player in an iframe: read one level down, never deeper.
    ...(depth === 0 ? found.frames.slice(0, PAGE_CANDIDATES.frames).map((url) => ({ url, page: true })) : []),
  ];
  const errors: unknown[] = [];
  for (const t of tries) {
    try {
      return await acquire(run, t.url, [...via, page.finalUrl], t.page ? depth + 1 : 2);
    } catch (error) {
      if (ENDS_RUN(error)) throw error;
      errors.push(error);
    }
  }
  // A refusal (too large, a loop, a private address, no video) says more than "nothing found"; a
  // fetch failure may pass, and is worth the retry it gets.
  const refusal = errors.find((e) => isVigilError(e) && e.errorName !== 'FETCH_FAILED' && e.errorName !== 'NO_MEDIA_FOUND');
  if (refusal) throw refusal;
  const failed = errors.find((e) => isVigilError(e, 'FETCH_FAILED'));
  if (failed) throw failed;
  const looked = tries.length === 0 ? 'no <video>/<source>, og:video, JSON-LD contentUrl, player iframe or download link' : `${tries.length} candidate link${tries.length === 1 ? '' : 's'}, none of them a video`;
  throw new VigilError('NO_MEDIA_FOUND', `${page.finalUrl} is a page whose player names no video (${looked})`);
}

/** One URL: looked at once, then read as what it is. `depth` 0 is the link given; pages deeper than 1 are not read. */
async function acquire(run: Run, url: string, via: string[], depth: number): Promise<LeakDownload> {
  const first = await get(run, url, { maxBytes: Math.max(1, run.limits.maxBytes - run.bytes), range: { offset: 0, length: run.limits.chunkBytes } });
  const kind = sniff(first);
  if (kind === 'page') {
    if (depth > 1) throw new VigilError('NO_MEDIA_FOUND', `${first.finalUrl} is another page, not media (pages are read one level down only)`);
    if (first.body.length > run.limits.maxDocumentBytes) throw new VigilError('NO_MEDIA_FOUND', `${first.finalUrl} is a page larger than ${mb(run.limits.maxDocumentBytes)}`);
    run.step(`${first.finalUrl} is a page: looking for its player's media`);
    return fromPage(run, first, via, depth);
  }
  // A playlist answered in part (a Range honoured) is fetched whole, as a document.
  const whole = kind !== 'media' && first.status === 206 ? await document(run, first.finalUrl) : first;
  if (kind === 'hls') return downloadHls(run, whole, via);
  if (kind === 'dash') return downloadDash(run, whole, via);
  run.step(`${first.finalUrl}: a media file (${String(first.headers['content-type'] ?? 'no content type')})`);
  const file = path.join(run.dir, `leak-${++run.attempt}.mp4`);
  try {
    const bytes = await downloadFile(run, first, file);
    return { file, bytes, source: { kind: 'file', url: first.finalUrl, via } };
  } catch (error) {
    await rm(file, { force: true });
    throw translated(run, error, first.finalUrl);
  }
}

/**
 * Downloads the copy behind `url` into `dir` (a scratch folder the caller removes). Errors:
 * DOWNLOAD_TOO_LARGE, DOWNLOAD_TOO_SLOW, PLAYLIST_LOOPS, PLAYLIST_UNREADABLE, NO_MEDIA_FOUND and
 * COPY_NOT_DETECTABLE (no video) are final; FETCH_FAILED (the network) may pass; FETCH_BLOCKED is
 * the fetcher's refusal of a private address; INTERRUPTED when `signal` stops it.
 */
export async function downloadLeak(fetch: Fetcher, url: string, dir: string, options: LeakDownloadOptions = {}): Promise<LeakDownload> {
  const limits = { ...DEFAULT_LEAK_LIMITS, ...options.limits };
  const deadline = AbortSignal.timeout(limits.maxTimeMs);
  const run: Run = {
    fetch, limits, deadline, signal: AbortSignal.any([deadline, ...(options.signal ? [options.signal] : [])]), startedAt: Date.now(), bytes: 0, dir, attempt: 0,
    step: options.onStep ?? (() => undefined),
    ...(options.signal ? { outer: options.signal } : {}),
  };
  try {
    return await acquire(run, url, [], 0);
  } catch (error) {
    throw translated(run, error, url);
  }
}

