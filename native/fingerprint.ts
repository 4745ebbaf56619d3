/**
 * Perceptual fingerprints for leak confirmation (monitoring phase 2), computed by the native
 * addon (native/src/fingerprint.cc). See native/README.md, "Perceptual fingerprint".
 *
 * A Fingerprint describes one 8-bit luma picture (a sampled video frame or a comic page). Two
 * pictures of the same content after re-encoding, scaling, a crop of up to ~20 % per axis,
 * letterboxing, tone changes, mirroring or a small overlay are a few bits apart; unrelated
 * pictures are typically 14-24 bits apart even after the crop search.
 */

import { addon } from './addon.js';

/** Hashes per fingerprint: 100 crop windows (10 per axis, [0] = whole picture) + the mirrored whole picture. */
export const FINGERPRINT_HASHES = 101;
/** Bytes in Fingerprint.bits (little-endian 64-bit words). */
export const FINGERPRINT_BYTES = FINGERPRINT_HASHES * 8;
/** Default near-duplicate threshold in bits (of 64); see the ROC table in native/README.md. */
export const DEFAULT_FRAME_THRESHOLD = 10;

export interface Fingerprint {
  /** 64-bit DCT hash of the whole picture after border removal (a classic pHash). */
  hash: bigint;
  /**
   * All hashes, FINGERPRINT_BYTES bytes: [0] whole picture, [1..99] crop windows (per axis the whole or a
   * window cutting (a, b) from start and end, a and b multiples of 5 %, a + b <= 15 %; index = y * 10 + x),
   * [100] mirrored whole picture. Store this (base64) for references.
   */
  bits: Uint8Array;
  /** false for flat pictures (black frames, fades): they never match and never vote. */
  informative: boolean;
  /** Standard deviation of the 32x32 thumbnail, in levels. */
  contrast: number;
  /** Region kept after uniform dark/bright bars were removed, in input pixels. */
  content: { x: number; y: number; width: number; height: number };
}

export interface TimedFingerprint {
  /** Seconds from the start of the media. */
  time: number;
  fingerprint: Fingerprint;
}

export interface MatchOptions {
  /** Bits (of 64) within which two frames are near-duplicates (default 10). */
  frameThreshold?: number;
  /** Distinct candidate frames that must agree on one offset (default 3). */
  minVotes?: number;
  /** Matched / comparable candidate frames at the offset (default 0.25). */
  minCoverage?: number;
  /** Offset histogram bin in seconds (default: the larger median sampling step). */
  binSeconds?: number;
  /** Also accept left-right mirrored copies (default true). */
  mirror?: boolean;
}

export interface MatchedSpan {
  refStart: number;
  refEnd: number;
  candStart: number;
  candEnd: number;
}

export interface SequenceMatch {
  matched: boolean;
  /** Mean distance of the matched frames, bits / 64 (0..1); 1 when none matched. */
  distance: number;
  /** Reference time minus candidate time, seconds. */
  offset: number;
  /** Distinct candidate frames whose near-duplicates vote for this offset. */
  votes: number;
  /** Best vote count at an offset more than two bins from the winner (repeats, or chance). */
  runnerUpVotes: number;
  /** Candidate frames within frameThreshold of the reference at the offset. */
  matchedFrames: number;
  /** Informative candidate frames whose aligned time falls inside the reference. */
  comparableFrames: number;
  /** Informative candidate frames. */
  candidateFrames: number;
  /** matchedFrames / comparableFrames. */
  coverage: number;
  matchedSpans: MatchedSpan[];
}

export interface PageMatch {
  /** Index in the candidate pages. */
  candidate: number;
  /** Nearest reference page, or -1 when the candidate page is flat. */
  reference: number;
  /** Bits (of 64). */
  distance: number;
  matched: boolean;
}

export interface ImageSetMatch {
  /** At least `minPages` candidate pages matched (default: 1 for a single page, else 2). */
  matched: boolean;
  matchedPages: number;
  pages: PageMatch[];
}

interface RawFingerprint {
  bits: Buffer;
  informative: boolean;
  contrast: number;
  content: { x: number; y: number; width: number; height: number };
}

interface RawSequenceParams {
  frameThreshold: number;
  minVotes: number;
  minCoverage: number;
  binSeconds: number;
  mirror: boolean;
}

interface NativeFingerprintModule {
  fingerprint(plane: Uint8Array, width: number, height: number, stride: number): RawFingerprint;
  fingerprintDistance(a: Uint8Array, b: Uint8Array, mirror: boolean): number;
  matchSequences(
    refBits: Uint8Array,
    refTimes: Float64Array,
    refInformative: Uint8Array,
    candBits: Uint8Array,
    candTimes: Float64Array,
    candInformative: Uint8Array,
    params: RawSequenceParams,
  ): SequenceMatch;
  matchImages(
    refBits: Uint8Array,
    refInformative: Uint8Array,
    candBits: Uint8Array,
    candInformative: Uint8Array,
    threshold: number,
    mirror: boolean,
  ): PageMatch[];
}

function native(): NativeFingerprintModule {
  return addon<NativeFingerprintModule>();
}

function checkDims(width: number, height: number, stride: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || !Number.isInteger(stride)) throw new TypeError('width, height and stride must be integers');
  if (width < 16 || height < 16) throw new RangeError('plane too small (min 16x16)');
  if (stride < width) throw new RangeError('stride must be >= width');
}

/** Fingerprint of one 8-bit luma plane (stride in samples, default width). ~1 ms at 1080p. */
export function frameFingerprint(plane: Uint8Array, width: number, height: number, stride: number = width): Fingerprint {
  checkDims(width, height, stride);
  const raw = native().fingerprint(plane, width, height, stride);
  return {
    hash: raw.bits.readBigUInt64LE(0),
    bits: new Uint8Array(raw.bits.buffer, raw.bits.byteOffset, raw.bits.byteLength),
    informative: raw.informative,
    contrast: raw.contrast,
    content: raw.content,
  };
}

/** Rebuilds a Fingerprint from stored bits (e.g. a reference kept as base64). */
export function fingerprintFromBits(bits: Uint8Array, informative = true): Fingerprint {
  if (bits.length !== FINGERPRINT_BYTES) throw new RangeError(`fingerprint bits must be ${FINGERPRINT_BYTES} bytes`);
  const copy = new Uint8Array(bits);
  return {
    hash: Buffer.from(copy.buffer).readBigUInt64LE(0),
    bits: copy,
    informative,
    contrast: Number.NaN,
    content: { x: 0, y: 0, width: 0, height: 0 },
  };
}

function popcount64(x: bigint): number {
  let n = 0;
  for (let v of [Number(x & 0xffffffffn), Number((x >> 32n) & 0xffffffffn)]) {
    v = v - ((v >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

/** Plain Hamming distance (0..64) of two 64-bit hashes, or of two fingerprints' whole-picture hashes. */
export function hammingDistance(a: Fingerprint | bigint, b: Fingerprint | bigint): number {
  const x = typeof a === 'bigint' ? a : a.hash;
  const y = typeof b === 'bigint' ? b : b.hash;
  return popcount64(BigInt.asUintN(64, x ^ y));
}

/**
 * Crop- and mirror-tolerant distance in bits (0..64): the smallest Hamming distance between one
 * picture's whole (or mirrored) hash and any crop window of the other, both ways round.
 * This is what matching compares with the threshold.
 */
export function fingerprintDistance(a: Fingerprint, b: Fingerprint, options: { mirror?: boolean } = {}): number {
  return native().fingerprintDistance(a.bits, b.bits, options.mirror ?? true);
}

interface PackedSet {
  bits: Uint8Array;
  informative: Uint8Array;
}

function pack(fps: readonly Fingerprint[], what: string): PackedSet {
  const bits = new Uint8Array(fps.length * FINGERPRINT_BYTES);
  const informative = new Uint8Array(fps.length);
  fps.forEach((f, i) => {
    if (f.bits.length !== FINGERPRINT_BYTES) throw new RangeError(`${what}[${i}] is not a fingerprint`);
    bits.set(f.bits, i * FINGERPRINT_BYTES);
    informative[i] = f.informative ? 1 : 0;
  });
  return { bits, informative };
}

function packTimes(frames: readonly TimedFingerprint[], what: string): Float64Array {
  const t = new Float64Array(frames.length);
  frames.forEach((f, i) => {
    if (!Number.isFinite(f.time)) throw new RangeError(`${what}[${i}].time must be a finite number`);
    t[i] = f.time;
  });
  return t;
}

/**
 * Finds a candidate clip (sampled frames, any rate) inside a reference sequence.
 *
 * Near-duplicate frame pairs (candidate whole/mirrored hash vs every reference crop window,
 * found through a multi-index on 16-bit chunks) vote for offset = refTime - candTime; the
 * best offset is then verified frame by frame. `matched` requires at least `minVotes`
 * distinct candidate frames agreeing on the offset, at least `minVotes` frames within
 * `frameThreshold` at that offset, and `coverage` >= `minCoverage`.
 */
export function matchSequences(
  reference: readonly TimedFingerprint[],
  candidate: readonly TimedFingerprint[],
  options: MatchOptions = {},
): SequenceMatch {
  const ref = pack(
    reference.map((f) => f.fingerprint),
    'reference',
  );
  const cand = pack(
    candidate.map((f) => f.fingerprint),
    'candidate',
  );
  const params: RawSequenceParams = {
    frameThreshold: options.frameThreshold ?? DEFAULT_FRAME_THRESHOLD,
    minVotes: options.minVotes ?? 3,
    minCoverage: options.minCoverage ?? 0.25,
    binSeconds: options.binSeconds ?? 0,
    mirror: options.mirror ?? true,
  };
  if (!(params.frameThreshold >= 0 && params.frameThreshold <= 32)) throw new RangeError('frameThreshold must be in 0..32');
  return native().matchSequences(
    ref.bits,
    packTimes(reference, 'reference'),
    ref.informative,
    cand.bits,
    packTimes(candidate, 'candidate'),
    cand.informative,
    params,
  );
}

/**
 * Image sets (comics, stills): each candidate page against its nearest reference page.
 * A page matches within `threshold` bits (default 10); the set matches when at least
 * `minPages` pages do (default 1 for a single candidate page, else 2).
 */
export function matchImages(
  referencePages: readonly Fingerprint[],
  candidatePages: readonly Fingerprint[],
  options: { threshold?: number; minPages?: number; mirror?: boolean } = {},
): ImageSetMatch {
  const ref = pack(referencePages, 'referencePages');
  const cand = pack(candidatePages, 'candidatePages');
  const pages = native().matchImages(
    ref.bits,
    ref.informative,
    cand.bits,
    cand.informative,
    options.threshold ?? DEFAULT_FRAME_THRESHOLD,
    options.mirror ?? true,
  );
  const matchedPages = pages.filter((p) => p.matched).length;
  const minPages = options.minPages ?? (candidatePages.length <= 1 ? 1 : 2);
  return { matched: matchedPages >= minPages && matchedPages > 0, matchedPages, pages };
}
