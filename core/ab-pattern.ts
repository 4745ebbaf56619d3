/**
 * A streaming session's A/B pattern: which variant (0 = A, 1 = B) of each marked segment a session
 * is served, so that a re-stream's sequence of variants names its watermark ID.
 *
 * The packager (runners), the edge (edge/) and detection all read this one definition, which is
 * why it lives in core. The layout, version 1:
 * - the codeword is the 32-bit watermark ID followed by a CRC-16 of it (48 bits), XORed with a
 *   fixed whitening mask so that small IDs do not give runs of one variant;
 * - segment position p (from the WMPaceInfo sidecar; -1 = unmarked) carries codeword bit p mod 48,
 *   so any 48 consecutive marked segments carry the whole codeword and a longer recording repeats it;
 * - decoding takes a majority per codeword bit over every repeat seen, and accepts the result only
 *   when the CRC matches: missing or misread segments give the exact ID or nothing.
 */
import { createHash } from 'node:crypto';

export type Variant = 0 | 1;
export const PATTERN_VERSION = 1;
export const ID_BITS = 32;
export const CHECK_BITS = 16;
export const CODEWORD_BITS = ID_BITS + CHECK_BITS;
export const MAX_WATERMARK_ID = 2 ** 32 - 1;

/** 48 whitening bits, fixed for version 1 (changing them would orphan every packaged session). */
const WHITENING: readonly Variant[] = (() => {
  const digest = createHash('sha256').update('vigil-ab-pattern-v1').digest();
  return Array.from({ length: CODEWORD_BITS }, (_, i) => (((digest[i >> 3]! >> (7 - (i & 7))) & 1) as Variant));
})();

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the ID's four big-endian bytes. */
function crc16(id: number): number {
  let crc = 0xffff;
  for (let shift = 24; shift >= 0; shift -= 8) {
    crc ^= ((id >>> shift) & 0xff) << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function checkId(watermarkId: number): void {
  if (!Number.isInteger(watermarkId) || watermarkId < 1 || watermarkId > MAX_WATERMARK_ID) {
    throw new RangeError(`watermark ID must be an integer from 1 to ${MAX_WATERMARK_ID}, got ${watermarkId}`);
  }
}

/** The session's pattern: CODEWORD_BITS variants, the one at index i served at positions ≡ i (mod CODEWORD_BITS). */
export function patternFor(watermarkId: number): Variant[] {
  checkId(watermarkId);
  const check = crc16(watermarkId);
  return Array.from({ length: CODEWORD_BITS }, (_, i) => {
    const raw = i < ID_BITS ? (watermarkId >>> (ID_BITS - 1 - i)) & 1 : (check >>> (CHECK_BITS - 1 - (i - ID_BITS))) & 1;
    return (raw ^ WHITENING[i]!) as Variant;
  });
}

/** The variant served at a segment position (>= 0; an unmarked segment, position -1, has only one variant). */
export function variantAt(pattern: readonly Variant[], position: number): Variant {
  if (!Number.isInteger(position) || position < 0) throw new RangeError(`segment position must be an integer >= 0, got ${position}`);
  return pattern[position % pattern.length]!;
}

/** The pattern as bytes (most significant bit first), the form a direct-mode watermarking token carries. */
export function patternToBytes(pattern: readonly Variant[]): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(pattern.length / 8));
  pattern.forEach((bit, i) => { if (bit) bytes[i >> 3]! |= 0x80 >> (i & 7); });
  return bytes;
}

/** `length` variants read back from bytes written by patternToBytes. */
export function patternFromBytes(bytes: Uint8Array, length = CODEWORD_BITS): Variant[] {
  if (bytes.length * 8 < length) throw new RangeError(`a pattern of ${length} bits needs ${Math.ceil(length / 8)} bytes, got ${bytes.length}`);
  return Array.from({ length }, (_, i) => (((bytes[i >> 3]! >> (7 - (i & 7))) & 1) as Variant));
}

/** One segment of a recording: its position and the variant read from it. */
export interface ObservedSegment {
  position: number;
  variant: Variant;
  /** How sure the reading is (> 0; default 1): a vote's weight. */
  weight?: number;
}

export type PatternDecode =
  | { found: true; watermarkId: number; /** Codeword bits with no vote or a tie. */ unknownBits: number }
  | { found: false; reason: 'too few segments' | 'check failed'; unknownBits: number };

/** The watermark ID a recording's segments spell, or nothing when the votes do not give a codeword that checks. */
export function decodePattern(segments: readonly ObservedSegment[]): PatternDecode {
  const votes = new Array<number>(CODEWORD_BITS).fill(0);
  for (const s of segments) {
    if (s.position < 0) continue;
    votes[s.position % CODEWORD_BITS]! += (s.variant === 1 ? 1 : -1) * (s.weight ?? 1);
  }
  const unknownBits = votes.filter((v) => v === 0).length;
  if (unknownBits > 0) return { found: false, reason: 'too few segments', unknownBits };
  const bits = votes.map((v, i) => ((v > 0 ? 1 : 0) ^ WHITENING[i]!) as Variant);
  let id = 0;
  for (let i = 0; i < ID_BITS; i++) id = id * 2 + bits[i]!;
  let check = 0;
  for (let i = ID_BITS; i < CODEWORD_BITS; i++) check = (check << 1) | bits[i]!;
  if (id < 1 || crc16(id) !== check) return { found: false, reason: 'check failed', unknownBits };
  return { found: true, watermarkId: id, unknownBits };
}
