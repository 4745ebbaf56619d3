import { describe, expect, it } from 'vitest';
import { createEmbedder, signTiming } from '../../native/index.js';
import { correlation } from '../support/correlation.js';

const KEY = Buffer.from('6b1e2f9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d2e', 'hex');
const W = 192;
const H = 108;

/** marked - original of each of `frames` flat frames at `level`, embedded in order by one version-2 embedder. */
function marks(level: number, frames: number, width = W, bitDepth: 8 | 10 = 8): Int16Array[] {
  const emb = createEmbedder({ key: KEY, width, height: H, bitDepth, payload: 0x13572468, markVersion: 2 });
  const out: Int16Array[] = [];
  for (let f = 0; f < frames; f++) {
    const plane = bitDepth === 8 ? new Uint8Array(width * H).fill(level) : new Uint16Array(width * H).fill(level);
    emb.embed(plane, width);
    out.push(Int16Array.from(plane, (v) => v - level));
  }
  return out;
}

describe('version 2 sign flips', () => {
  const { groupFrames: G, rampFrames: R } = signTiming();

  it('turns the sign over a ramp: no frame-to-frame step of the mark above what R frames of a half cosine allow', () => {
    // a flat grey and a flat dark frame, held still, in 8 and 10 bits: any change between frames is the mark's own
    for (const [level, depth] of [[128, 8], [24, 8], [512, 10], [96, 10]] as const) {
      const m = marks(level, G + R, W, depth);
      const peak = Math.max(...m.map((f) => Math.max(...f.map(Math.abs))));
      // the first boundary always flips (signs come in +- or -+ pairs)
      expect(correlation(m[G - R]!, m[G + R - 1]!)).toBeLessThan(-0.99);
      // the mark before rounding is s(f) * p: a half cosine over R frames moves s by at most
      // 2 sin(pi / 2R) a frame, and rounding to whole levels adds at most one
      const bound = Math.floor(2 * (peak + 0.5) * Math.sin(Math.PI / (2 * R)) + 1);
      let largest = 0;
      for (let f = 1; f < m.length; f++) for (let i = 0; i < m[f]!.length; i++) largest = Math.max(largest, Math.abs(m[f]![i]! - m[f - 1]![i]!));
      // a hard flip would step by twice the peak
      expect(2 * peak).toBeGreaterThan(bound);
      expect(largest).toBeLessThanOrEqual(bound);
      expect(largest).toBeGreaterThan(0);
    }
  });

  it('leaves the mark whole away from the boundaries and odd about each one', () => {
    const m = marks(128, G + R);
    const energy = (f: Int16Array): number => f.reduce((s, v) => s + v * v, 0);
    const full = energy(m[G / 2]!);
    for (let f = 0; f < G - R / 2; f++) expect(energy(m[f]!)).toBe(full);
    // the other sign: the same mark negated, to the rounding of half levels
    for (let f = G + R / 2; f < m.length; f++) expect(Math.abs(energy(m[f]!) / full - 1)).toBeLessThan(0.01);
    // mirrored about the boundary the ramp's frames cancel, so a whole group sums as with a hard flip
    for (let k = 0; k < R / 2; k++) {
      const [a, b] = [m[G - 1 - k]!, m[G + k]!];
      expect(energy(a)).toBeLessThan(full);
      if (energy(a) + energy(b) === 0) continue; // the middle of the ramp: under half a level, rounded away
      expect(correlation(a, b)).toBeLessThan(-0.9); // not -1: rounding, at a fraction of a level
    }
  });

  it('marks the ramp the same in the vector body and the scalar tail of a row', () => {
    // a column's pattern depends on its x and the height only, and a flat frame's mask on neither
    // width, so 8 columns wider the tail columns 200..206 go through 16-bit SIMD lanes instead
    const narrow = marks(128, G + R / 2, 207);
    const wide = marks(128, G + R / 2, 208);
    for (let f = G - R / 2; f < G + R / 2; f++) {
      for (let y = 0; y < H; y++) {
        expect(Array.from(narrow[f]!.subarray(y * 207 + 192, y * 207 + 207))).toEqual(Array.from(wide[f]!.subarray(y * 208 + 192, y * 208 + 207)));
      }
    }
  });
});
