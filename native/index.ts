/**
 * Typed wrapper around the native forensic watermark kernel
 * (native/build/Release/vigil_native.node). See native/README.md.
 *
 * Planes are luma only: 8-bit as Uint8Array, 10-bit as Uint16Array (values
 * 0..1023). `stride` is in samples (elements), not bytes, and defaults to width.
 */

import { addon } from './addon.js';

export type BitDepth = 8 | 10;
export type LumaPlane = Uint8Array | Uint16Array;

export interface EmbedderOptions {
  /** 32-byte secret key. */
  key: Buffer | Uint8Array;
  width: number;
  height: number;
  bitDepth: BitDepth;
  /** Recipient ID, integer 1..2^32-1. */
  payload: number;
  /** Pattern amplitude in 8-bit levels before masking (default 2.5). */
  strength?: number;
  /**
   * 1 (default): the same tile in every frame. 2: the tile's sign changes every few seconds by a
   * keyed sequence (frames counted from the first `embed` call), so averaging a copy's frames
   * gives an attacker nothing to subtract. The detector reads both.
   */
  markVersion?: MarkVersion;
}

/**
 * The forensic mark versions the engine makes (native/src/pattern.h). 3, the keyed chips, is not
 * released: the embed ledger (core/db/embed-ledger.ts) takes 1 and 2, and only the benches make it.
 */
export type MarkVersion = 1 | 2 | 3;

export interface DetectorOptions {
  key: Buffer | Uint8Array;
  width: number;
  height: number;
  bitDepth: BitDepth;
  /**
   * Also read mark version 3 (native/src/pattern.h chipFactor): keeps the first 1,152 frames'
   * residuals (about 120 KB a frame pair at the working size) and makes up to 3 more reads when
   * versions 1 and 2 read nothing. Off by default: no copy is made with version 3 yet.
   */
  readChipped?: boolean;
}

export interface DetectionResult {
  found: boolean;
  /** Recovered recipient ID (only when found). */
  payload?: number;
  /** 1 - falseAlarmProbability. */
  confidence: number;
  /** Probability that unmarked content (or a wrong key) gives this result. */
  falseAlarmProbability: number;
  /** Pilot correlation peak, in standard deviations of the null distribution. */
  pilotZ: number;
  /** Correlation with the full expected pattern at the found alignment, in sigmas (0 if not found). */
  dataZ: number;
  framesUsed: number;
  /** Read as a sign-changing (version 2) mark: the plain sum of frames held none. */
  timeVarying?: boolean;
  /**
   * Version 2 read with windows aligned to the sign groups: the clip frame (0..191) where a group
   * begins, as found (to the nearest time segment: 8 frames for a 30 s clip); -1 otherwise.
   */
  signPhase?: number;
  /**
   * Version 3 (a detector made with readChipped): the copy's frame number of the clip's first
   * frame as the chip sync found it, and the sync's z (correlation over all starts, in sigmas);
   * -1 and 0 when it found none.
   */
  chipStart?: number;
  syncZ?: number;
  /** Frames lying in time segments whose own evidence is >= 3 sigma (0 if not found). */
  framesWithMark: number;
  /** Tile period found, in input pixels (nominal: height / 2 for an unscaled, uncropped frame). */
  periodX: number;
  periodY: number;
  /** Number of period hypotheses searched (blind: each in 4 orientations). */
  hypotheses: number;
  /** The tile was found mirrored left-right / top-bottom (blind reader; false otherwise). */
  mirroredX?: boolean;
  mirroredY?: boolean;
  /** Blind reader: the rotation hypothesis (degrees) the mark was found at. */
  rotation?: number;
  /**
   * Blind reader: the picture the search used, in input pixels: the frame less the letterbox and
   * pillarbox bands it found (rows/columns that never carried picture).
   */
  activeArea?: { x: number; y: number; width: number; height: number };
  /**
   * Blind reader: the tile's cell soft values (256, cell order, pilot included) at each candidate
   * alignment read, best pilot first; when found, the last is the one the payload decoded at.
   * What informed (ledger) accusation scores recipients' codewords against.
   */
  alignments?: DetectionAlignment[];
}

export interface DetectionAlignment {
  /** The pilot's peak at this alignment, in sigmas. */
  pilotZ: number;
  cells: Float32Array;
}

/** The chips a tile cell carries: the key's pilot, and each ID's data chips (256 per ID, in the order given). */
export interface TileChips {
  pilot: Float32Array;
  data: Float32Array;
}

export interface Embedder {
  /** Embeds in place. `plane` must be Uint8Array for 8-bit, Uint16Array for 10-bit. */
  embed(plane: LumaPlane, stride?: number): void;
}

export interface Detector {
  /** Adds one frame's evidence (cheap; no frame is retained). */
  accumulate(plane: LumaPlane, stride?: number): void;
  /** Searches scale/offset over all evidence so far and decodes. */
  result(): DetectionResult;
  /** Forgets all evidence. */
  reset(): void;
}

export interface PlaneDescriptor {
  plane: LumaPlane;
  width: number;
  height: number;
  stride?: number;
  bitDepth: BitDepth;
}

export interface DetectWithOriginalOptions {
  key: Buffer | Uint8Array;
  leak: PlaneDescriptor;
  original: PlaneDescriptor;
}

export interface FrameRelayOptions {
  /** An existing private directory; the relay makes its named pipes there. */
  dir: string;
  /** Bytes of one raw planar frame (all planes), and of its leading luma plane. */
  frameBytes: number;
  lumaBytes: number;
  /** One entry per encoder: the embedder that marks its copy, or null to pass frames unmarked. */
  embedders: (Embedder | null)[];
}

export interface RelayOutcome {
  /** Whole frames relayed to every encoder. */
  frames: number;
  /** Size of a cut-off last frame (0 when the decoder's output ended on a frame boundary). */
  trailingBytes: number;
}

/**
 * Moves raw frames from a decoder to encoders through named pipes on a native thread, marking
 * each encoder's luma on the way (see native/src/relay.h). The decoder writes `sourcePath`;
 * encoder k reads `sinkPaths[k]`.
 */
export interface FrameRelay {
  readonly sourcePath: string;
  readonly sinkPaths: string[];
  /** Frames relayed so far (for progress). */
  readonly frames: number;
  /** Waits for every encoder to open its pipe, then relays until the decoder ends; runs once. */
  run(): Promise<RelayOutcome>;
  /** Stops a running relay: run() rejects with "relay cancelled". Every pipe end is closed. */
  cancel(): void;
}

interface NativeModule {
  Embedder: new (options: EmbedderOptions) => Embedder;
  FrameRelay: new (options: FrameRelayOptions) => FrameRelay;
  Detector: new (options: DetectorOptions) => Detector;
  detectWithOriginal(options: DetectWithOriginalOptions): DetectionResult;
  tileChips(key: Buffer | Uint8Array, ids: number[]): TileChips;
  version(): string;
  signTiming: SignTiming;
}

function native(): NativeModule {
  return addon<NativeModule>();
}

function checkKey(key: Buffer | Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new TypeError('key must be 32 bytes');
}

export function createEmbedder(options: EmbedderOptions): Embedder {
  checkKey(options.key);
  return new (native().Embedder)(options);
}

export function createFrameRelay(options: FrameRelayOptions): FrameRelay {
  return new (native().FrameRelay)(options);
}

export function createDetector(options: DetectorOptions): Detector {
  checkKey(options.key);
  return new (native().Detector)(options);
}

export function detectWithOriginal(options: DetectWithOriginalOptions): DetectionResult {
  checkKey(options.key);
  return native().detectWithOriginal(options);
}

/** The pilot chips of `key` and the data chips each of `ids` is embedded with (see native/src/codeword.h). */
export function tileChips(key: Buffer | Uint8Array, ids: readonly number[]): TileChips {
  checkKey(key);
  return native().tileChips(key, [...ids]);
}

/**
 * Version 2's sign timing (native/src/pattern.h): the sign holds for `groupFrames` frames and,
 * where it changes, turns over the `rampFrames` frames centred on the boundary.
 */
export interface SignTiming {
  groupFrames: number;
  rampFrames: number;
}

export function signTiming(): SignTiming {
  return native().signTiming;
}

export function version(): string {
  return native().version();
}
