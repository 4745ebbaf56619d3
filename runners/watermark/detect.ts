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
import { ledgerEntriesBySha256, ledgerEntriesForWatermark, type LedgerEntry } from '../../core/db/embed-ledger.js';
import type { DetectPayload } from '../../core/queues.js';
import { sha256File } from '../media/sha256.js';
import { loadKeyring, type WatermarkKey } from './keys.js';
import { ledgerTest, type LedgerAccusation } from './ledger-accusation.js';
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
  /** The id of the key the mark was read with (when found). */
  keyId?: string;
  /** How many keys were tried. */
  keysTried: number;
  native: DetectionResult;
  /** Every key's result, in the order tried (what the ledger test scores when no key read a payload). */
  byKey: { keyId: string; result: DetectionResult }[];
}

/** A key to try, by id; a `WatermarkKey` is one. */
export type DetectionKey = Pick<WatermarkKey, 'id' | 'key'>;

export interface DetectRequest {
  leak: string;
  original?: string;
  /** Tried in this order; the first that reads a mark names it. At least one. */
  keys: readonly DetectionKey[];
  signal?: AbortSignal;
  onProgress?: (p: { frames: number; totalFrames: number; fraction: number }) => void;
  log?: Logger;
  /** Also read mark version 3 (native/index.ts DetectorOptions.readChipped; blind reads only). */
  readChipped?: boolean;
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

/** The first key whose result found a mark, else the first key's result (the one most expected). */
function firstFound(keys: readonly DetectionKey[], results: readonly DetectionResult[]): { r: DetectionResult; keyId?: string } {
  const i = results.findIndex((r) => r.found && r.payload !== undefined);
  return i < 0 ? { r: results[0]! } : { r: results[i]!, keyId: keys[i]!.id };
}

function report(leak: string, kind: DetectReport['kind'], mode: DetectReport['mode'], keys: readonly DetectionKey[], results: readonly DetectionResult[], extra: Partial<DetectReport> = {}): DetectReport {
  const { r, keyId } = firstFound(keys, results);
  return {
    leak, kind, mode, found: r.found, ...(r.found && r.payload !== undefined ? { watermarkId: r.payload } : {}),
    ...(keyId ? { keyId } : {}), keysTried: results.length,
    confidence: r.confidence, falseAlarmProbability: r.falseAlarmProbability, framesUsed: r.framesUsed, framesWithMark: r.framesWithMark,
    markedFraction: r.framesUsed > 0 ? r.framesWithMark / r.framesUsed : 0, native: r, byKey: results.map((result, i) => ({ keyId: keys[i]!.id, result })), ...extra,
  };
}

/** Blind detection over every frame of a video. */
export async function detectInVideo(req: DetectRequest): Promise<DetectReport> {
  const info = await probeVisual(req.leak, req.signal);
  const v = info.video;
  const bitDepth = v.bitDepth;
  const size = scaledSize(v.width, v.height, DETECT_MAX_HEIGHT);
  if (req.keys.length === 0) throw new Error('detectInVideo: no keys');
  // One decode feeds a detector per key: rotating keys costs accumulation, not another decode.
  const detectors = req.keys.map((k) => createDetector({ key: k.key, width: size.width, height: size.height, bitDepth, readChipped: req.readChipped === true }));
  const fps = v.frameRate.num / v.frameRate.den;
  const totalFrames = v.frames ?? Math.max(1, Math.round(info.duration * fps));
  let last = 0;
  const frames = await decodeGray(req.leak, { bitDepth, width: size.width, height: size.height, filters: size.filter ? [size.filter] : [], signal: req.signal }, (plane, i) => {
    for (const d of detectors) d.accumulate(plane);
    const now = Date.now();
    if (req.onProgress && now - last > 250) {
      last = now;
      req.onProgress({ frames: i + 1, totalFrames, fraction: Math.min(1, (i + 1) / totalFrames) });
    }
  });
  if (frames === 0) throw new VigilError('MEDIA_FAILED', `${req.leak}: no frames could be decoded`);
  const results = detectors.map((d) => d.result());
  const out = report(req.leak, 'video', 'blind', req.keys, results, { seconds: frames / fps });
  req.log?.info({ leak: req.leak, frames, found: out.found, keyId: out.keyId, keys: req.keys.length, pilotZ: out.native.pilotZ }, 'detect done');
  return out;
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
  const results: DetectionResult[] = [];
  for (const k of req.keys) {
    const r = detectWithOriginal({
      key: k.key,
      leak: { plane: leak.plane, width: leak.width, height: leak.height, bitDepth: 8 },
      original: { plane: original.plane, width: original.width, height: original.height, bitDepth: 8 },
    });
    results.push(r);
    if (r.found) break; // keys are in likelihood order; the rest need not be tried
  }
  return report(req.leak, 'image', 'with-original', req.keys.slice(0, results.length), results, originalTime !== undefined ? { originalTime } : {});
}

/** A still needs --original; a video is searched blind. */
export async function detectLeak(req: DetectRequest): Promise<DetectReport> {
  if (isImagePath(req.leak)) {
    if (!req.original) throw new VigilError('ORIGINAL_REQUIRED', `${req.leak} is a still image; pass --original with the video or image it was taken from`);
    return detectInStill({ ...req, original: req.original });
  }
  return detectInVideo(req);
}

export interface DetectCommandInput extends DetectPayload {
  /** Offline mode, only when asked for: recipients from this catalog folder, no database at all. */
  offlineCatalogDir?: string;
}

export interface DetectCommandDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  /** The database: the record of who got which ID and of every copy made. Required unless offline. */
  pool?: () => Promise<pg.Pool>;
  signal?: AbortSignal;
  onProgress?: DetectRequest['onProgress'];
  log?: Logger;
}

export interface DetectOutcome extends DetectReport {
  recipient?: RecipientMatch;
  /** The ledger's record of this copy: the very file if the leak is unaltered, else the newest copy with this ID and key. */
  copy?: LedgerEntry;
  /** Ids of keys the ledger says copies of this leak (or of its original) were made with, missing from the keyring. */
  missingKeyIds: string[];
  /** Where the recipient was looked up: the database, or (offline mode) a catalog folder. */
  lookup: { source: 'database' } | { source: 'catalog'; dir: string };
  /** Who named the watermark ID: the blind decoder, or the ledger test (when found). */
  attribution?: 'blind' | 'ledger test';
  /** The ledger test, when it ran: no valid blind payload, or one the ledger does not name for this content. */
  accusation?: LedgerAccusation;
}

async function withDatabase<T>(work: () => Promise<T>, doing: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('DATABASE_UNAVAILABLE', `could not ${doing}: ${(error as Error).message}`, { cause: error });
  }
}

/** Keys of the ledger's candidate copies first (in the order given), then the rest of the keyring. */
export function orderKeys<K extends DetectionKey>(keyring: readonly K[], candidateKeyIds: readonly string[]): { keys: K[]; missing: string[] } {
  const first = [...new Set(candidateKeyIds)];
  const keys = [...first.flatMap((id) => keyring.filter((k) => k.id === id)), ...keyring.filter((k) => !first.includes(k.id))];
  return { keys, missing: first.filter((id) => !keyring.some((k) => k.id === id)) };
}

/**
 * Reads the mark with every key of the keyring (the keys of copies the ledger knows for this very
 * file, or for its original, first) and names the recipient from the database. A database that
 * cannot be reached is DATABASE_UNAVAILABLE: detect never guesses from catalog files unless
 * offline mode (`offlineCatalogDir`) was asked for.
 */
export async function runDetectCommand(cmd: DetectCommandInput, deps: DetectCommandDeps): Promise<DetectOutcome> {
  const at = (p: string): string => path.resolve(deps.cwd, p);
  const leak = at(cmd.leak);
  const original = cmd.original ? at(cmd.original) : undefined;
  if (isImagePath(leak) && !original) throw new VigilError('ORIGINAL_REQUIRED', `${cmd.leak} is a still image; pass --original with the video or image it was taken from`);
  const keyring = await loadKeyring(deps.env);
  if (cmd.offlineCatalogDir !== undefined) {
    const dir = at(cmd.offlineCatalogDir);
    const exists = await fs.stat(dir).then((s) => s.isDirectory(), () => false);
    if (!exists) throw new VigilError('CATALOG_NOT_FOUND', `--catalog ${cmd.offlineCatalogDir}: ${dir} is not a directory`);
    const report = await detectLeak({ leak, original, keys: keyring.keys, signal: deps.signal, onProgress: deps.onProgress, log: deps.log });
    // Lookups use whatever recipients parse, even if other documents have errors.
    const recipient = report.found && report.watermarkId !== undefined ? lookupInCatalog((await loadCatalogDir(dir)).catalog, report.watermarkId) : undefined;
    return { ...report, ...(recipient ? { recipient, attribution: 'blind' as const } : {}), missingKeyIds: [], lookup: { source: 'catalog', dir } };
  }
  if (!deps.pool) throw new VigilError('DATABASE_UNAVAILABLE', 'detection needs the database (the record of allocations and copies); none is configured here');
  const pool = await withDatabase(deps.pool, 'open the database');
  const hashes = await Promise.all([leak, ...(original ? [original] : [])].map((f) => sha256File(f, deps.signal).catch(() => undefined)));
  const candidates = await withDatabase(() => ledgerEntriesBySha256(pool, hashes.filter((h): h is string => h !== undefined)), 'read the embed ledger');
  const { keys, missing } = orderKeys(keyring.keys, candidates.map((c) => c.keyId));
  if (missing.length > 0) deps.log?.warn({ missing }, 'the ledger names keys that are not in the keyring');
  const report = await detectLeak({ leak, original, keys, signal: deps.signal, onProgress: deps.onProgress, log: deps.log });
  const base = { ...report, missingKeyIds: missing, lookup: { source: 'database' as const } };
  // this content: the inputs the ledger's copies of the leak (or of its original) were made from
  const inputs = [...new Set(candidates.map((c) => c.inputSha256))];
  const attributed = async (id: number, keyId: string | undefined): Promise<{ recipient?: RecipientMatch; copy?: LedgerEntry; named: boolean }> => {
    const [recipient, copies] = await withDatabase(() => Promise.all([lookupInDatabase(pool, id), ledgerEntriesForWatermark(pool, id)]), `look up watermark ID ${id}`);
    const exact = copies.find((c) => c.outputSha256 === hashes[0]);
    const copy = exact ?? copies.find((c) => c.keyId === keyId);
    const named = copies.some((c) => c.keyId === keyId && (inputs.length === 0 || inputs.includes(c.inputSha256)));
    return { ...(recipient ? { recipient } : {}), ...(copy ? { copy } : {}), named };
  };
  let blind: number | undefined;
  if (report.found && report.watermarkId !== undefined) {
    const found = await attributed(report.watermarkId, report.keyId);
    // the blind decoder's answer comes first whenever it is valid and the ledger names it
    if (found.named) return { ...base, attribution: 'blind', ...(found.recipient ? { recipient: found.recipient } : {}), ...(found.copy ? { copy: found.copy } : {}) };
    blind = report.watermarkId;
  }
  const keyOf = new Map(keys.map((k) => [k.id, k]));
  const results = report.byKey.filter((r) => (blind === undefined ? true : r.keyId === report.keyId)).map((r) => ({ key: keyOf.get(r.keyId)!, result: r.result }));
  const accusation = await withDatabase(() => ledgerTest({
    pool, results, inputSha256s: inputs, why: blind === undefined ? 'no valid blind payload' : 'blind ID not in the ledger', ...(blind !== undefined ? { blindWatermarkId: blind } : {}),
  }), 'run the ledger test');
  deps.log?.info({ leak, why: accusation.why, blindWatermarkId: blind, colluder: accusation.colluder?.watermarkId, recipientsTested: accusation.recipientsTested }, 'ledger test done');
  // whatever the blind decoder read is set aside: only the ledger test's answer is reported
  const { watermarkId: _set, keyId: _aside, ...unattributed } = base;
  const colluder = accusation.colluder;
  if (!colluder) return { ...unattributed, found: false, accusation };
  const found = await attributed(colluder.watermarkId, colluder.keyId);
  return {
    ...unattributed, found: true, watermarkId: colluder.watermarkId, keyId: colluder.keyId, attribution: 'ledger test', accusation,
    confidence: 1 - colluder.p, falseAlarmProbability: colluder.p, ...(found.recipient ? { recipient: found.recipient } : {}), ...(found.copy ? { copy: found.copy } : {}),
  };
}
