/**
 * Reading a re-stream back to its watermark ID (informed A/B detection). Both variants of every
 * segment are at hand, so nothing is searched blind:
 *
 * 1. Align: fingerprints of the recording (2 per second) against the package's reference
 *    fingerprints of variant A give a coarse offset (native/fingerprint.ts, crop-tolerant).
 *    Register (registration.ts): small copies of every recorded and A frame give the crop and turn
 *    of the recorded picture and its timing (offset and rate), so a cropped, turned, sped-up or
 *    slowed copy is compared like with like; each segment's recorded mean is warped onto the
 *    packaged raster and read over the pixels it shows.
 * 2. Read each segment the recording covers: with r, a, b the means of the recorded, A and B
 *    frames over the segment's span (all scaled to one working size), e = r − (a + b)/2 and
 *    d = a − b, the host cancels and ⟨e, d⟩ is +½‖d‖² for A, −½‖d‖² for B, times whatever the
 *    re-encode left. Its z-score is taken against ⟨e, shift(d)⟩ for shifts of d by whole cells
 *    of the mark (same picture, same noise, no mark alignment): an empirical null that needs no
 *    model of the noise.
 * 3. Decode the variants with core/ab-pattern.ts decodePattern, weighted by |z|: the exact ID or
 *    nothing. An ID is reported only when at least half the segments read were clear (|z| ≥ 2),
 *    on top of the pattern's CRC: chance agreement from an unmarked copy stays out.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodePattern, type ObservedSegment, type Variant } from '../../core/ab-pattern.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { PACKAGE_MANIFEST, readPackageManifest, variantFile, type PackagedSegment } from '../../core/package-layout.js';
import { frameFingerprint, matchSequences, type SequenceMatch, type TimedFingerprint } from '../../native/fingerprint.js';
import { probeMedia } from '../media/probe.js';
import { decodeGray, type GraySize } from './gray-frames.js';
import type { VigilPackageManifest } from './package.js';
import { readReference, REFERENCE_FPS } from './reference.js';
import { estimateGeometry, estimateTiming, identityGeometry, isIdentity, refineGeometry, shrink, temporalDetail, shrunkSize, warpToPackage, type FrameRun, type Geometry, type Timing } from './registration.js';

/** The budget: a re-stream is identified from at most this much recording. */
export const MAX_RECORDING_SECONDS = 300;
/** |z| of a clear segment reading, and the share of segments that must be clear for an ID to stand. */
export const CLEAR_Z = 2;
export const MIN_CLEAR_SHARE = 0.5;
/**
 * How far from the fingerprint offset the frame-accurate search looks. Fingerprints can settle a
 * second or two off on slowly changing footage (a zoom, a pan: neighbouring frames look alike at
 * 2 per second), which the small copies of every frame over the whole recording do not confuse.
 */
const FINE_RADIUS_SECONDS = 3;
/** The fastest recording searched (12 % fast); the slowest is as far the other way. */
export const MAX_RATE = 1.12;
/** Registration works on copies this many times smaller each way than the working raster (timing on half that again). */
const GEOMETRY_SHRINK = 4;
/** Frame pairs the coarse geometry is judged on, rounds of timing-then-geometry, segment means the fine geometry uses. */
const GEOMETRY_PAIRS = 16;
const REGISTRATION_ROUNDS = 3;
const FINE_GEOMETRY_SEGMENTS = 4;
/** The small-raster descent starts half a grid step, a quarter scale step and a third of an angle step around the grid's answer. */
const COARSE_GEOMETRY_STEPS = { centre: 0.0125, scale: 0.0125, angle: (0.5 * Math.PI) / 180 };
/**
 * The fine search starts half a pixel, a quarter percent of scale and a tenth of a degree around the
 * coarse answer, on a few segment means: it adds ~1 to the median |z| of a cropped copy (19 → 20) at
 * a cost that grows with every mean it warps.
 */
const FINE_GEOMETRY_STEPS = (size: GraySize): { centre: number; scale: number; angle: number } => ({ centre: 0.5 / size.height, scale: 0.0025, angle: (0.1 * Math.PI) / 180 });

export interface SegmentReading {
  index: number;
  uri: string;
  position: number;
  variant: Variant;
  /** ⟨e, d⟩ / ‖d‖²: +0.5 is a clean A, −0.5 a clean B. */
  score: number;
  z: number;
  /** 1 − two-sided normal tail of z: how sure the A/B call is. */
  confidence: number;
  /** Recorded frames averaged for it. */
  frames: number;
}

export interface RestreamResult {
  found: boolean;
  watermarkId?: number;
  /** Why nothing was found (a sentence a person can act on). */
  reason?: string;
  packageId?: string;
  contentId?: string;
  recording: string;
  packageDir: string;
  /** Packaged time at recorded time 0, seconds, when aligned. */
  offsetSeconds?: number;
  /** Packaged seconds per recorded second (1.05: the recording plays 5 % fast), when aligned. */
  rate?: number;
  /** Where the recorded picture sits in the packaged one (registration.ts), when aligned. */
  geometry?: Geometry;
  alignment?: Pick<SequenceMatch, 'matched' | 'votes' | 'coverage' | 'matchedFrames' | 'comparableFrames'>;
  segments: SegmentReading[];
  secondsAnalysed: number;
  /** Codeword bits no segment voted for. */
  unknownBits?: number;
  elapsedMs: number;
}

export interface RestreamRequest {
  packageDir: string;
  recording: string;
  maxSeconds?: number;
  signal?: AbortSignal;
  log?: Logger;
  onProgress?: (p: { fraction: number; frames: number }) => void;
}

interface LoadedPackage {
  dir: string;
  manifest: VigilPackageManifest;
  starts: number[];
}

function unreadable(dir: string, why: string): VigilError {
  return new VigilError('PACKAGE_UNREADABLE', `${dir} is not a usable A/B package: ${why}`);
}

/** The manifest, checked, with every file it names present. */
export async function loadPackage(dir: string): Promise<LoadedPackage> {
  const file = path.join(dir, PACKAGE_MANIFEST);
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) throw unreadable(dir, `${file} cannot be read`);
  const read = readPackageManifest(text);
  if (!read.ok) throw unreadable(dir, `${file}: ${read.problems.join('; ')}`);
  const manifest = read.manifest as VigilPackageManifest;
  if (typeof manifest.reference !== 'string' || !manifest.frameRate || !(manifest.width > 0) || !(manifest.height > 0)) {
    throw unreadable(dir, `${file} lacks the reference, frameRate, width or height that vigil package writes`);
  }
  const needed = [path.join(dir, manifest.init), path.join(dir, manifest.reference),
    ...manifest.segments.flatMap((s) => [variantFile(dir, s, 0), ...(s.position >= 0 ? [variantFile(dir, s, 1)] : [])])];
  for (const f of needed) {
    if (!(await fs.stat(f).then((st) => st.isFile(), () => false))) throw unreadable(dir, `${f} is missing`);
  }
  const starts: number[] = [];
  let t = 0;
  for (const s of manifest.segments) { starts.push(t); t += s.durationSeconds; }
  return { dir, manifest, starts };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** ⟨e, d shifted by (dx, dy)⟩, cyclically. */
function shiftedDot(e: Float64Array, d: Float64Array, size: GraySize, dx: number, dy: number): number {
  const { width: w, height: h } = size;
  let s = 0;
  for (let y = 0; y < h; y++) {
    const sy = ((y + dy) % h + h) % h;
    for (let x = 0; x < w; x++) s += e[y * w + x]! * d[sy * w + (((x + dx) % w) + w) % w]!;
  }
  return s;
}

/** Two-sided normal tail complement via erf (Abramowitz–Stegun 7.1.26). */
function confidenceOf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return erf;
}

/**
 * One segment's A/B reading from the three mean pictures, over the pixels `mask` marks (all when
 * none): a cropped or turned recording shows only part of the packaged picture.
 */
export function readSegment(r: Float64Array, a: Float64Array, b: Float64Array, size: GraySize, mask?: Uint8Array): { score: number; z: number } {
  const n = r.length;
  const e = new Float64Array(n);
  const d = new Float64Array(n);
  let em = 0;
  let dm = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    d[i] = a[i]! - b[i]!;
    if (mask && !mask[i]) continue;
    e[i] = r[i]! - (a[i]! + b[i]!) / 2; em += e[i]!; dm += d[i]!; m++;
  }
  if (m === 0) return { score: 0, z: 0 };
  em /= m; dm /= m;
  // e stays 0 outside the mask, so every product below counts only the pixels the recording shows.
  let dd = 0;
  for (let i = 0; i < n; i++) {
    d[i] = d[i]! - dm;
    if (mask && !mask[i]) continue;
    e[i] = e[i]! - em;
    dd += d[i]! * d[i]!;
  }
  if (dd === 0) return { score: 0, z: 0 };
  const signal = dot(e, d);
  // Shifts of a few mark cells (a cell is H/32 of the picture) in both directions: the null.
  const cell = size.height / 32;
  const nulls: number[] = [];
  for (const sx of [-7, -3, 0, 3, 7]) for (const sy of [-5, -2, 0, 2, 5]) {
    if (sx === 0 && sy === 0) continue;
    nulls.push(shiftedDot(e, d, size, Math.round(sx * cell * 1.37), Math.round(sy * cell * 1.37)));
  }
  const mean = nulls.reduce((s, v) => s + v, 0) / nulls.length;
  const sd = Math.sqrt(nulls.reduce((s, v) => s + (v - mean) ** 2, 0) / (nulls.length - 1));
  return { score: signal / dd, z: sd > 0 ? signal / sd : 0 };
}

/** Reads `req.recording` against the package in `req.packageDir`; see the file comment. */
export async function detectRestream(req: RestreamRequest): Promise<RestreamResult> {
  const started = Date.now();
  const dir = path.resolve(req.packageDir);
  const recording = path.resolve(req.recording);
  const pkg = await loadPackage(dir);
  const { manifest } = pkg;
  const info = await probeMedia(recording, req.signal);
  if (!info.video) throw new VigilError('NO_VIDEO_TRACK', `${recording} has no video stream`);
  const maxSeconds = Math.min(req.maxSeconds ?? MAX_RECORDING_SECONDS, MAX_RECORDING_SECONDS);
  const reference = await readReference(path.join(dir, manifest.reference)).catch((error: unknown) => {
    throw unreadable(dir, `${manifest.reference}: ${(error as Error).message}`);
  });
  const size = reference.size;
  const small = shrunkSize(size, GEOMETRY_SHRINK);
  const recFps = info.video.frameRate.num / info.video.frameRate.den;
  const refFps = manifest.frameRate.num / manifest.frameRate.den;
  const base: RestreamResult = {
    found: false, recording, packageDir: dir, packageId: manifest.packageId, ...(manifest.contentId ? { contentId: manifest.contentId } : {}),
    segments: [], secondsAnalysed: 0, elapsedMs: 0,
  };
  const done = (r: Partial<RestreamResult>): RestreamResult => ({ ...base, ...r, elapsedMs: Date.now() - started });
  const expected = Math.max(1, Math.min(info.duration, maxSeconds) * recFps);

  // Pass 1: fingerprints (2 per second) and a small copy of every frame of the recording.
  const candidate: TimedFingerprint[] = [];
  const recSmall: Uint8Array[] = [];
  let nextPrint = 0;
  const recFrames = await decodeGray({ file: recording, maxSeconds }, { size, fps: recFps, ...(req.signal ? { signal: req.signal } : {}) }, (plane, time, index) => {
    recSmall.push(shrink(plane, size, GEOMETRY_SHRINK));
    if (time + 1e-6 >= nextPrint) {
      candidate.push({ time, fingerprint: frameFingerprint(plane, size.width, size.height) });
      nextPrint += 1 / REFERENCE_FPS;
    }
    if (index % 50 === 0) req.onProgress?.({ fraction: 0.3 * Math.min(1, index / expected), frames: index });
  }).catch((error: unknown) => {
    if (req.signal?.aborted) throw new VigilError('INTERRUPTED', 'stopped while reading the recording');
    throw new VigilError('INPUT_MISSING', `${recording} could not be decoded: ${(error as Error).message}`, { cause: error });
  });
  const secondsAnalysed = recFrames / recFps;
  const match = matchSequences(reference.frames, candidate);
  const alignment = { matched: match.matched, votes: match.votes, coverage: match.coverage, matchedFrames: match.matchedFrames, comparableFrames: match.comparableFrames };
  req.log?.debug({ alignment, offset: match.offset }, 'recording aligned to the package reference');
  if (!match.matched) {
    return done({ secondsAnalysed, alignment, reason: `the recording does not match the packaged title (${match.votes} fingerprint votes, coverage ${(match.coverage * 100).toFixed(0)} %): it is not a copy of this package, or too altered to align` });
  }

  // The segments the recording can cover: the fingerprint offset holds somewhere along the recording,
  // so at its start the offset may be off by the largest rate error over its length, plus the slack.
  const radius = FINE_RADIUS_SECONDS + (MAX_RATE - 1) * secondsAnalysed;
  const recStart = match.offset - radius;
  const recEnd = match.offset + radius + MAX_RATE * secondsAnalysed;
  const span = manifest.segments.map((s, i) => ({ s, i, start: pkg.starts[i]!, end: pkg.starts[i]! + s.durationSeconds }))
    .filter((x) => x.end > recStart && x.start < recEnd);
  if (span.length === 0) return done({ secondsAnalysed, alignment, offsetSeconds: match.offset, reason: 'the recording aligns outside the packaged segments' });
  const first = span[0]!;
  const last = span[span.length - 1]!;

  // Pass 2: A and B over that span, summed per segment (every frame), with a small copy of A's frames for registration.
  const pixels = size.width * size.height;
  const sums = { A: span.map(() => new Float32Array(pixels)), B: span.map(() => new Float32Array(pixels)) };
  const counts = { A: span.map(() => 0), B: span.map(() => 0) };
  const refSmall: Uint8Array[] = [];
  const segmentOf = (t: number): number => {
    const abs = first.start + t;
    for (let k = 0; k < span.length; k++) if (abs < span[k]!.end - 1e-9) return k;
    return span.length - 1;
  };
  // Frames near a boundary (a frame, or a tenth of the segment) are left out: a recorded frame there may belong to the neighbour.
  const margin = (k: number): number => Math.max(1 / refFps, 0.1 * span[k]!.s.durationSeconds);
  const inside = (k: number, t: number): boolean => {
    const abs = first.start + t;
    return abs >= span[k]!.start + margin(k) - 1e-9 && abs < span[k]!.end - margin(k) - 1e-9;
  };
  await Promise.all((['A', 'B'] as const).map(async (v) => {
    const files = [path.join(dir, manifest.init), ...span.map((x) => variantFile(dir, x.s, v === 'A' ? 0 : 1))];
    await decodeGray({ files }, { size, fps: refFps, ...(req.signal ? { signal: req.signal } : {}) }, (plane, t) => {
      if (v === 'A') refSmall.push(shrink(plane, size, GEOMETRY_SHRINK));
      const k = segmentOf(t);
      if (!inside(k, t)) return;
      const sum = sums[v][k]!;
      for (let p = 0; p < pixels; p++) sum[p]! += plane[p]!;
      counts[v][k]! += 1;
    }).catch((error: unknown) => {
      throw unreadable(dir, `variant ${v} segments ${first.s.uri}..${last.s.uri} could not be decoded: ${(error as Error).message}`);
    });
    req.onProgress?.({ fraction: v === 'A' ? 0.5 : 0.65, frames: recFrames });
  }));

  // Registration on the small copies: where the recorded picture sits in the packaged one, and its timing.
  const reg = register(
    { size: small, fps: recFps, start: 0, frames: recSmall },
    { size: small, fps: refFps, start: first.start, frames: refSmall },
    match.offset, radius,
  );
  recSmall.length = 0;
  refSmall.length = 0;
  req.log?.debug({ coarse: match.offset, timing: reg.timing, geometry: reg.geometry }, 'recording registered');
  const { timing } = reg;

  // Pass 3: the recording, summed per segment as recorded (warping is linear: the sums are warped once, below).
  const recSums = span.map(() => new Float32Array(pixels));
  const recCounts = span.map(() => 0);
  await decodeGray({ file: recording, maxSeconds }, { size, fps: recFps, ...(req.signal ? { signal: req.signal } : {}) }, (plane, time, index) => {
    const t = timing.offset + timing.rate * time - first.start;
    if (t < 0 || first.start + t >= last.end) return;
    const k = segmentOf(t);
    if (!inside(k, t)) return;
    const sum = recSums[k]!;
    for (let p = 0; p < pixels; p++) sum[p]! += plane[p]!;
    recCounts[k]! += 1;
    if (index % 50 === 0) req.onProgress?.({ fraction: 0.65 + 0.35 * Math.min(1, index / expected), frames: index });
  });

  // Only segments the recording covers for most of their length: a partly recorded one averages less.
  // Sums are whole numbers well below 2^24, exact in float32 (half the memory of a 5-minute span).
  const mean = (s: Float32Array, n: number): Float64Array => Float64Array.from(s, (v) => v / n);
  const covered = span.map((x, k) => ({ x, k })).filter(({ x, k }) => {
    const full = counts.A[k]!;
    return x.s.position >= 0 && full > 0 && counts.B[k] === full && recCounts[k]! >= 0.6 * full * (recFps / refFps) / timing.rate;
  }).map(({ x, k }) => {
    const a = mean(sums.A[k]!, counts.A[k]!);
    const b = mean(sums.B[k]!, counts.A[k]!);
    return { x, k, r: mean(recSums[k]!, recCounts[k]!), a, b, host: a.map((v, i) => (v + b[i]!) / 2) };
  });
  // The crop and turn once more on the segment means at the working size, where the mark is read.
  const geometry = covered.length === 0 || isIdentity(reg.geometry, size) ? reg.geometry
    : refineGeometry(evenly(covered, FINE_GEOMETRY_SEGMENTS).map((c) => ({ rec: c.r, ref: c.host })), size, reg.geometry, FINE_GEOMETRY_STEPS(size)).geometry;
  const warped = new Float64Array(pixels);
  const mask = new Uint8Array(pixels);
  const readings: SegmentReading[] = [];
  for (const { x, k, r, a, b } of covered) {
    warpToPackage(r, size, geometry, warped, mask);
    const { score, z } = readSegment(warped, a, b, size, mask);
    readings.push({ index: x.i, uri: x.s.uri, position: x.s.position, variant: score > 0 ? 0 : 1, score, z, confidence: confidenceOf(z), frames: recCounts[k]! });
  }
  req.onProgress?.({ fraction: 1, frames: recFrames });
  const common = { secondsAnalysed, alignment, offsetSeconds: timing.offset, rate: timing.rate, geometry, segments: readings };
  const observed: ObservedSegment[] = readings.map((r) => ({ position: r.position, variant: r.variant, weight: Math.max(1e-3, Math.abs(r.z)) }));
  const decoded = decodePattern(observed);
  if (!decoded.found) {
    const reason = decoded.reason === 'too few segments'
      ? `too few segments read: ${readings.length} marked segments, ${decoded.unknownBits} of the pattern's 48 positions not covered (a recording needs at least 48 marked segments, ${(48 * manifest.segmentSeconds).toFixed(0)} s of this package)`
      : `the segments read do not spell a valid pattern (check failed): the copy is unmarked, or too degraded to read`;
    return done({ ...common, unknownBits: decoded.unknownBits, reason });
  }
  const clear = readings.filter((r) => Math.abs(r.z) >= CLEAR_Z).length;
  if (clear < MIN_CLEAR_SHARE * readings.length) {
    return done({ ...common, unknownBits: decoded.unknownBits, reason: `only ${clear} of ${readings.length} segments read clearly (|z| ≥ ${CLEAR_Z}); a pattern that checks from such weak readings may be chance, so no ID is named` });
  }
  return done({ ...common, found: true, watermarkId: decoded.watermarkId, unknownBits: decoded.unknownBits });
}

/** At most n items, evenly spread over the list. */
function evenly<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!);
}

/**
 * Timing and geometry in turn, each estimated with the other held: the first timing assumes the
 * whole picture (a crop still correlates at the timing raster), the geometry then comes from frames
 * paired by that timing, and the timing again from frames warped by that geometry.
 */
function register(rec: FrameRun, ref: FrameRun, coarseOffset: number, radius: number): { timing: Timing; geometry: Geometry } {
  const tiny = (run: FrameRun): FrameRun => temporalDetail({ ...run, size: shrunkSize(run.size, 2), frames: run.frames.map((f) => shrink(f, run.size, 2)) });
  const recTiny = tiny(rec);
  const refTiny = tiny(ref);
  let geometry = identityGeometry(rec.size);
  let timing: Timing = { offset: coarseOffset, rate: 1 };
  for (let round = 0; round < REGISTRATION_ROUNDS; round++) {
    timing = estimateTiming(recTiny, refTiny, geometry, { around: coarseOffset, radius, rates: [2 - MAX_RATE, MAX_RATE] }).timing;
    const paired = evenly(rec.frames.map((f, j) => ({ rec: f, k: Math.round((timing.offset + timing.rate * (rec.start + j / rec.fps) - ref.start) * ref.fps) }))
      .filter((p) => p.k >= 0 && p.k < ref.frames.length), GEOMETRY_PAIRS);
    const pairs = paired.map((p) => ({ rec: p.rec, ref: ref.frames[p.k]! }));
    // The whole grid once, on planes half the size again (a quarter of the work); later rounds only
    // move what the better timing moves.
    const start = round === 0
      ? estimateGeometry(paired.map((p) => ({ rec: shrink(p.rec, rec.size, 2), ref: shrink(ref.frames[p.k]!, ref.size, 2) })), shrunkSize(rec.size, 2)).geometry
      : geometry;
    const next = refineGeometry(pairs, rec.size, start, COARSE_GEOMETRY_STEPS).geometry;
    const moved = Math.abs(next.cx - geometry.cx) + Math.abs(next.cy - geometry.cy) + Math.abs(next.sx - geometry.sx) + Math.abs(next.sy - geometry.sy) + Math.abs(next.angle - geometry.angle);
    geometry = next;
    if (moved < 1 / rec.size.height) return { timing, geometry };
  }
  return { timing: estimateTiming(recTiny, refTiny, geometry, { around: coarseOffset, radius, rates: [2 - MAX_RATE, MAX_RATE] }).timing, geometry };
}

export type { PackagedSegment };
