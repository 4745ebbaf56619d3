/**
 * Finds the forensic mark in a leak: a video (blind: every frame's evidence is accumulated) or a
 * single still (non-blind: registered against the original, the best-matching frame of the
 * original video picked by a quick luma correlation).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { createDetector, detectWithOriginal, type DetectionResult } from '../../native/index.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { addInputOptions, addOutputOptions, newCommand, start } from '../media/ffmpeg-run.js';
import { isImagePath, probeMedia, type MediaInfo } from '../media/probe.js';
import { frameSink } from '../media/raw-frames.js';
import { loadCatalogDir } from '../../core/catalog/load.js';
import { loadWatermarkKey } from './keys.js';
import { lookupInCatalog, lookupInDatabase, type RecipientMatch } from './recipients.js';

export interface DetectReport {
  leak: string;
  kind: 'video' | 'image';
  mode: 'blind' | 'with-original';
  found: boolean;
  watermarkId?: number;
  confidence: number;
  falseAlarmProbability: number;
  framesUsed: number;
  framesWithMark: number;
  /** Share of the analysed frames that carried the mark (0..1). */
  markedFraction: number;
  /** Seconds of video analysed (videos only). */
  seconds?: number;
  /** For a still with a video original: the time of the original frame it matched. */
  originalTime?: number;
  native: DetectionResult;
}

export interface DetectRequest {
  leak: string;
  original?: string;
  key: Buffer;
  signal?: AbortSignal;
  onProgress?: (p: { frames: number; totalFrames: number; fraction: number }) => void;
  log?: Logger;
}

/** The detector works on a ~128-line raster; decoding taller video than this only costs time. */
const DETECT_MAX_HEIGHT = 540;

/** Decodes luma only (gray / gray10le), optionally scaled, and hands each frame to `each`. */
async function decodeGray(
  file: string,
  opts: { inputArgs?: string[]; filters?: string[]; bitDepth: 8 | 10; width: number; height: number; maxFrames?: number; signal?: AbortSignal },
  each: (plane: Uint8Array | Uint16Array, index: number) => void,
): Promise<number> {
  const bytes = opts.bitDepth === 10 ? 2 : 1;
  const frameBytes = opts.width * opts.height * bytes;
  const command = newCommand().input(file);
  addInputOptions(command, ['-nostdin', ...(opts.inputArgs ?? [])]);
  const out = ['-map', '0:v:0', '-an', '-sn', '-fps_mode', 'passthrough'];
  if (opts.filters && opts.filters.length > 0) out.push('-vf', opts.filters.join(','));
  if (opts.maxFrames !== undefined) out.push('-frames:v', String(opts.maxFrames));
  out.push('-pix_fmt', opts.bitDepth === 10 ? 'gray10le' : 'gray', '-f', 'rawvideo');
  addOutputOptions(command, out);
  let n = 0;
  const frames = frameSink(frameBytes, (frame) => {
    if (opts.signal?.aborted) throw new VigilError('INTERRUPTED', 'detection stopped');
    each(opts.bitDepth === 10 ? new Uint16Array(frame.buffer, frame.byteOffset, opts.width * opts.height) : new Uint8Array(frame.buffer, frame.byteOffset, frameBytes), n++);
  });
  const run = start(command, 'decoder', (c) => c.pipe(frames, { end: true }));
  const onAbort = (): void => run.kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    run.done.catch(() => frames.destroy());
    await Promise.all([run.done, finished(frames)]);
  } catch (error) {
    run.kill();
    if (opts.signal?.aborted) throw new VigilError('INTERRUPTED', 'detection stopped');
    if (error instanceof VigilError) throw error;
    throw new VigilError('MEDIA_FAILED', `cannot decode ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return n;
}

function scaledSize(width: number, height: number, maxHeight: number): { width: number; height: number; filter?: string } {
  if (height <= maxHeight) return { width, height };
  const h = maxHeight;
  const w = Math.max(2, Math.round((width * h) / height / 2) * 2);
  return { width: w, height: h, filter: `scale=${w}:${h}:flags=area` };
}

async function probeVisual(file: string, signal?: AbortSignal): Promise<MediaInfo & { video: NonNullable<MediaInfo['video']> }> {
  const info = await probeMedia(file, signal);
  if (!info.video) throw new VigilError('NO_VIDEO_TRACK', `${file} has no video stream or picture`);
  return info as MediaInfo & { video: NonNullable<MediaInfo['video']> };
}

function report(leak: string, kind: DetectReport['kind'], mode: DetectReport['mode'], r: DetectionResult, extra: Partial<DetectReport> = {}): DetectReport {
  return {
    leak, kind, mode, found: r.found, ...(r.found && r.payload !== undefined ? { watermarkId: r.payload } : {}),
    confidence: r.confidence, falseAlarmProbability: r.falseAlarmProbability, framesUsed: r.framesUsed, framesWithMark: r.framesWithMark,
    markedFraction: r.framesUsed > 0 ? r.framesWithMark / r.framesUsed : 0, native: r, ...extra,
  };
}

/** Blind detection over every frame of a video. */
export async function detectInVideo(req: DetectRequest): Promise<DetectReport> {
  const info = await probeVisual(req.leak, req.signal);
  const v = info.video;
  const bitDepth = v.bitDepth;
  const size = scaledSize(v.width, v.height, DETECT_MAX_HEIGHT);
  const detector = createDetector({ key: req.key, width: size.width, height: size.height, bitDepth });
  const fps = v.frameRate.num / v.frameRate.den;
  const totalFrames = v.frames ?? Math.max(1, Math.round(info.duration * fps));
  let last = 0;
  const frames = await decodeGray(req.leak, { bitDepth, width: size.width, height: size.height, filters: size.filter ? [size.filter] : [], signal: req.signal }, (plane, i) => {
    detector.accumulate(plane);
    const now = Date.now();
    if (req.onProgress && now - last > 250) {
      last = now;
      req.onProgress({ frames: i + 1, totalFrames, fraction: Math.min(1, (i + 1) / totalFrames) });
    }
  });
  if (frames === 0) throw new VigilError('MEDIA_FAILED', `${req.leak}: no frames could be decoded`);
  const r = detector.result();
  req.log?.info({ leak: req.leak, frames, found: r.found, pilotZ: r.pilotZ }, 'detect done');
  return report(req.leak, 'video', 'blind', r, { seconds: frames / fps });
}

interface Still {
  plane: Uint8Array;
  width: number;
  height: number;
}

async function decodeOneFrame(file: string, width: number, height: number, inputArgs: string[] = [], filters: string[] = [], signal?: AbortSignal): Promise<Still> {
  let plane: Uint8Array | undefined;
  await decodeGray(file, { inputArgs, filters, bitDepth: 8, width, height, maxFrames: 1, signal }, (p) => {
    plane = new Uint8Array(p as Uint8Array);
  });
  if (!plane) throw new VigilError('MEDIA_FAILED', `${file}: no picture could be decoded`);
  return { plane, width, height };
}

/** Normalised cross-correlation of two equally sized thumbnails. */
export function ncc(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

const THUMB_W = 64;
const THUMB_H = 36;
const THUMB = `scale=${THUMB_W}:${THUMB_H}:flags=area`;
/** At most this many thumbnails in the coarse pass over a long original. */
const COARSE_SAMPLES = 1500;

/**
 * The original video frame a still was most likely taken from: thumbnails of the whole video (or,
 * for a long one, COARSE_SAMPLES evenly spread, then every frame of the best second) are compared
 * with the still's thumbnail.
 */
export async function bestMatchingFrame(original: string, leakThumb: Uint8Array, signal?: AbortSignal): Promise<{ time: number; score: number; frameIndex: number }> {
  const info = await probeVisual(original, signal);
  const fps = info.video.frameRate.num / info.video.frameRate.den;
  const total = info.video.frames ?? Math.round(info.duration * fps);
  const best = { index: 0, score: -2 };
  const thumbs = { inputArgs: [] as string[], bitDepth: 8 as const, width: THUMB_W, height: THUMB_H, signal };
  if (total <= COARSE_SAMPLES) {
    await decodeGray(original, { ...thumbs, filters: [THUMB] }, (p, i) => {
      const s = ncc(p as Uint8Array, leakThumb);
      if (s > best.score) Object.assign(best, { index: i, score: s });
    });
    return { time: best.index / fps, score: best.score, frameIndex: best.index };
  }
  const rate = COARSE_SAMPLES / Math.max(1, info.duration);
  await decodeGray(original, { ...thumbs, filters: [`fps=${rate.toFixed(6)}`, THUMB] }, (p, i) => {
    const s = ncc(p as Uint8Array, leakThumb);
    if (s > best.score) Object.assign(best, { index: i, score: s });
  });
  const coarse = best.index / rate;
  const from = Math.max(0, coarse - 1 / rate);
  const fine = { index: 0, score: -2 };
  await decodeGray(original, { ...thumbs, inputArgs: ['-ss', from.toFixed(3), '-t', (2 / rate + 2 / fps).toFixed(3)], filters: [THUMB] }, (p, i) => {
    const s = ncc(p as Uint8Array, leakThumb);
    if (s > fine.score) Object.assign(fine, { index: i, score: s });
  });
  return { time: from + fine.index / fps, score: fine.score, frameIndex: Math.round((from + fine.index / fps) * fps) };
}

/** Non-blind detection on one still, against the original image or the matching frame of the original video. */
export async function detectInStill(req: DetectRequest & { original: string }): Promise<DetectReport> {
  const leakInfo = await probeVisual(req.leak, req.signal);
  const leak = await decodeOneFrame(req.leak, leakInfo.video.width, leakInfo.video.height, [], [], req.signal);
  const origInfo = await probeVisual(req.original, req.signal);
  const ow = origInfo.video.width;
  const oh = origInfo.video.height;
  let original: Still;
  let originalTime: number | undefined;
  if (isImagePath(req.original) || origInfo.duration === 0) {
    original = await decodeOneFrame(req.original, ow, oh, [], [], req.signal);
  } else {
    const thumb = await decodeOneFrame(req.leak, THUMB_W, THUMB_H, [], [THUMB], req.signal);
    const match = await bestMatchingFrame(req.original, thumb.plane, req.signal);
    originalTime = match.time;
    // Exact frame: decode from the start of the matched second and select by index (no seek rounding).
    const from = Math.max(0, Math.floor(match.time) - 1);
    const fps = origInfo.video.frameRate.num / origInfo.video.frameRate.den;
    const n = Math.max(0, match.frameIndex - Math.round(from * fps));
    original = await decodeOneFrame(req.original, ow, oh, from > 0 ? ['-ss', String(from)] : [], [`select=eq(n\\,${n})`], req.signal);
    req.log?.info({ time: match.time, score: match.score }, 'original frame matched');
  }
  const r = detectWithOriginal({
    key: req.key,
    leak: { plane: leak.plane, width: leak.width, height: leak.height, bitDepth: 8 },
    original: { plane: original.plane, width: original.width, height: original.height, bitDepth: 8 },
  });
  return report(req.leak, 'image', 'with-original', r, originalTime !== undefined ? { originalTime } : {});
}

/** A still needs --original; a video is searched blind. */
export async function detectLeak(req: DetectRequest): Promise<DetectReport> {
  if (isImagePath(req.leak)) {
    if (!req.original) throw new VigilError('ORIGINAL_REQUIRED', `${req.leak} is a still image; pass --original with the video or image it was taken from`);
    return detectInStill({ ...req, original: req.original });
  }
  return detectInVideo(req);
}

export interface DetectCommandInput {
  leak: string;
  original?: string;
  catalogDir?: string;
}

export interface DetectCommandDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  /** The database, when one is configured: allocations there are the record of who got which ID. */
  pool?: () => Promise<pg.Pool>;
  signal?: AbortSignal;
  onProgress?: DetectRequest['onProgress'];
  log?: Logger;
}

export interface DetectOutcome extends DetectReport {
  recipient?: RecipientMatch;
}

/** ID → recipient: the database first (if configured and reachable), else the catalog directory. */
export async function lookupRecipient(watermarkId: number, catalogDir: string, pool?: () => Promise<pg.Pool>, log?: Logger): Promise<RecipientMatch | undefined> {
  if (pool) {
    try {
      const match = await lookupInDatabase(await pool(), watermarkId);
      if (match) return match;
    } catch (error) {
      log?.warn({ err: error }, 'database lookup failed; trying the catalog');
    }
  }
  const exists = await fs.stat(catalogDir).then((s) => s.isDirectory(), () => false);
  if (!exists) return undefined;
  // Lookups use whatever recipients parse, even if other documents have errors.
  const { catalog } = await loadCatalogDir(catalogDir);
  return lookupInCatalog(catalog, watermarkId);
}

export async function runDetectCommand(cmd: DetectCommandInput, deps: DetectCommandDeps): Promise<DetectOutcome> {
  const at = (p: string): string => path.resolve(deps.cwd, p);
  const leak = at(cmd.leak);
  const original = cmd.original ? at(cmd.original) : undefined;
  if (isImagePath(leak) && !original) throw new VigilError('ORIGINAL_REQUIRED', `${cmd.leak} is a still image; pass --original with the video or image it was taken from`);
  const key = await loadWatermarkKey(deps.env);
  const report = await detectLeak({ leak, original, key, signal: deps.signal, onProgress: deps.onProgress, log: deps.log });
  if (!report.found || report.watermarkId === undefined) return report;
  const recipient = await lookupRecipient(report.watermarkId, at(cmd.catalogDir ?? 'catalog'), deps.pool, deps.log);
  return { ...report, ...(recipient ? { recipient } : {}) };
}
