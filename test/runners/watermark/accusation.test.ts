import { describe, expect, it } from 'vitest';
import { accuse, partialT, studentTail, studentThreshold, type LedgerCodeword } from '../../../runners/watermark/accusation.js';
import { seededRandom } from '../../support/seeded-random.js';

const CELLS = 256;

const signs = (r: () => number): Float32Array => Float32Array.from({ length: CELLS }, () => (r() < 0.5 ? -1 : 1));
const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** Cells as the embedder writes them (0.6 pilot + 0.8 data per copy), mixed with weights, plus noise. */
function leak(r: () => number, pilot: Float32Array, mix: { chips: Float32Array; weight: number }[], noise: number): Float32Array {
  return Float32Array.from({ length: CELLS }, (_, i) => 0.6 * pilot[i]! + mix.reduce((s, m) => s + 0.8 * m.weight * m.chips[i]!, 0) + noise * gauss(r));
}

function ledger(r: () => number, n: number): LedgerCodeword[] {
  return Array.from({ length: n }, (_, i) => ({ watermarkId: 1001 + i, chips: signs(r) }));
}

describe('informed accusation', () => {
  it('names the one recipient whose codeword a leak carries, and no other', () => {
    const r = seededRandom(1);
    const pilot = signs(r);
    const recipients = ledger(r, 50);
    const cells = leak(r, pilot, [{ chips: recipients[7]!.chips as Float32Array, weight: 1 }], 1);
    const a = accuse({ alignments: [{ pilotZ: 9, cells }], pilot, recipients });
    expect(a.accused.map((x) => x.watermarkId)).toEqual([1008]);
    expect(a.tests).toBe(50);
  });

  it('names a colluder of an averaged copy, never the innocent whose codeword overlaps both', () => {
    const r = seededRandom(2);
    const pilot = signs(r);
    const recipients = ledger(r, 30);
    const A = recipients[3]!.chips as Float32Array;
    const B = recipients[4]!.chips as Float32Array;
    // the innocent shares the first half of its cells with A and the second with B: on the raw
    // correlation it scores as high as either colluder
    const innocent = Float32Array.from({ length: CELLS }, (_, i) => (i < CELLS / 2 ? A[i]! : B[i]!));
    recipients.push({ watermarkId: 9999, chips: innocent });
    for (let trial = 0; trial < 20; trial++) {
      const cells = leak(r, pilot, [{ chips: A, weight: 0.5 }, { chips: B, weight: 0.5 }], 0.5);
      const a = accuse({ alignments: [{ pilotZ: 8, cells }], pilot, recipients });
      expect(a.accused.length).toBeGreaterThan(0);
      expect(a.accused.every((x) => x.watermarkId === 1004 || x.watermarkId === 1005)).toBe(true);
      expect(a.tested.find((x) => x.watermarkId === 9999)?.t ?? 0).toBeLessThan(a.threshold);
    }
  });

  it('on unmarked cells accuses anyone at most as often as its bound allows', () => {
    const r = seededRandom(3);
    const pilot = signs(r);
    const recipients = ledger(r, 40);
    let anyone = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const cells = Float32Array.from({ length: CELLS }, () => gauss(r));
      if (accuse({ alignments: [{ pilotZ: 1, cells }], pilot, recipients, innocentBound: 0.05 }).accused.length > 0) anyone++;
    }
    // the union bound is 0.05; only the 4 strongest are tested, so it holds with room
    expect(anyone / trials).toBeLessThan(0.05);
    expect(anyone).toBeGreaterThan(0);
  });

  it('raises the threshold with the number of recipients and alignments (union bound)', () => {
    const r = seededRandom(4);
    const pilot = signs(r);
    const cells = Float32Array.from({ length: CELLS }, () => gauss(r));
    const small = accuse({ alignments: [{ pilotZ: 1, cells }], pilot, recipients: ledger(r, 10) });
    const large = accuse({ alignments: [{ pilotZ: 1, cells }, { pilotZ: 1, cells }], pilot, recipients: ledger(r, 10_000) });
    expect(large.tests).toBe(20_000);
    expect(large.threshold).toBeGreaterThan(small.threshold);
    // 1e-6 over 10 tests, about 240 degrees of freedom: 1e-7 per test (the normal's is 5.20)
    expect(small.threshold).toBeGreaterThan(5.2);
    expect(small.threshold).toBeLessThan(5.5);
  });

  it('reports nothing to test for a detection without alignments or without a ledger', () => {
    const pilot = signs(seededRandom(5));
    expect(accuse({ alignments: [], pilot, recipients: ledger(seededRandom(6), 3) }).accused).toEqual([]);
    expect(accuse({ alignments: [{ pilotZ: 9, cells: pilot }], pilot, recipients: [] }).tests).toBe(0);
    expect(() => accuse({ alignments: [{ pilotZ: 9, cells: pilot.subarray(0, 100) }], pilot, recipients: ledger(seededRandom(7), 3) })).toThrow(/100 cells/);
  });
});

describe('Student t', () => {
  it('matches tabulated tails', () => {
    expect(studentTail(2, 10)).toBeCloseTo(0.036694, 5);
    expect(studentTail(0, 5)).toBeCloseTo(0.5, 12);
    // large df tends to the normal tail: Q(6) = 9.866e-10
    expect(studentTail(6, 1e7) / 9.866e-10).toBeCloseTo(1, 2);
    expect(studentThreshold(0.025, 30)).toBeCloseTo(2.042, 3);
  });

  it('gives the t of a regressor that the others explain as zero', () => {
    const r = seededRandom(8);
    const x = signs(r);
    const y = Float32Array.from(x, (v) => 2 * v + 0.1 * gauss(r));
    expect(partialT(y, [x], x)).toBe(0);
    expect(partialT(y, [], x)).toBeGreaterThan(100);
  });
});
