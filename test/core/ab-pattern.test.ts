import { describe, expect, it } from 'vitest';
import { CODEWORD_BITS, decodePattern, patternFor, patternFromBytes, patternToBytes, variantAt, type ObservedSegment } from '../../core/ab-pattern.js';

const observe = (id: number, positions: number[]): ObservedSegment[] =>
  positions.map((position) => ({ position, variant: variantAt(patternFor(id), position) }));
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('A/B session pattern', () => {
  it('gives back the watermark ID from any window of one full codeword', () => {
    for (const id of [1, 2, 77, 65_535, 0xdeadbeef, 2 ** 32 - 1]) {
      expect(decodePattern(observe(id, range(17, CODEWORD_BITS)))).toEqual({ found: true, watermarkId: id, unknownBits: 0 });
    }
  });

  it('whitens small IDs so a session does not get one variant throughout', () => {
    const ones = patternFor(1).filter((v) => v === 1).length;
    expect(ones).toBeGreaterThan(8);
    expect(ones).toBeLessThan(CODEWORD_BITS - 8);
  });

  it('outvotes a misread segment when the recording repeats the codeword', () => {
    const segments = observe(4242, range(0, CODEWORD_BITS * 3));
    segments[5] = { ...segments[5]!, variant: segments[5]!.variant === 1 ? 0 : 1 };
    segments[60] = { ...segments[60]!, variant: segments[60]!.variant === 1 ? 0 : 1 };
    expect(decodePattern(segments)).toMatchObject({ found: true, watermarkId: 4242 });
  });

  it('says nothing rather than a wrong ID when a lone reading is wrong', () => {
    const segments = observe(4242, range(0, CODEWORD_BITS));
    segments[3] = { ...segments[3]!, variant: segments[3]!.variant === 1 ? 0 : 1 };
    expect(decodePattern(segments)).toEqual({ found: false, reason: 'check failed', unknownBits: 0 });
  });

  it('says too few segments when a codeword bit was never seen', () => {
    expect(decodePattern(observe(9, range(0, CODEWORD_BITS - 1)))).toMatchObject({ found: false, reason: 'too few segments', unknownBits: 1 });
  });

  it('round-trips the pattern through the bytes a direct-mode token carries', () => {
    const pattern = patternFor(123_456);
    expect(patternToBytes(pattern)).toHaveLength(6);
    expect(patternFromBytes(patternToBytes(pattern))).toEqual(pattern);
  });

  it('refuses IDs and positions outside their ranges', () => {
    expect(() => patternFor(0)).toThrow(/watermark ID/);
    expect(() => patternFor(2 ** 32)).toThrow(/watermark ID/);
    expect(() => variantAt(patternFor(5), -1)).toThrow(/position/);
  });
});
