import { describe, expect, it } from 'vitest';
import { accuse, partialT, studentTail, studentThreshold, type AccusationInput } from '../../../runners/watermark/accusation.js';
import { keyCodewords } from '../../../runners/watermark/codewords.js';
import type { KeyedBit } from '../../../runners/watermark/keyed-bits.js';
import { seededRandom } from '../../support/seeded-random.js';

const CELLS = 256;
const KEY = Buffer.from('6b'.repeat(32), 'hex');

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
const sequential = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Cells as the embedder writes them (0.6 pilot + 0.8 data per copy), averaged with weights, plus noise. */
function leak(r: () => number, pilot: ArrayLike<number>, mix: { chips: ArrayLike<number>; weight: number }[], noise: number): Float32Array {
  return Float32Array.from({ length: CELLS }, (_, i) => 0.6 * pilot[i]! + mix.reduce((s, m) => s + 0.8 * m.weight * m.chips[i]!, 0) + noise * gauss(r));
}

/** The cell noise at which the pilot alone reads at `pilotZ` sigmas (the detector reads a mark from about 5). */
const noiseFor = (pilotZ: number): number => (0.6 * Math.sqrt(CELLS)) / pilotZ;

/** A copy averaged from `colluders` (equal weights) at pilot strength `pilotZ`, scored against `ledger`. */
function trial(r: () => number, ledger: number[], colluders: number[], pilotZ: number, bound: number, bits?: KeyedBit[]): ReturnType<typeof accuse> {
  const key = keyCodewords(KEY, [...ledger, ...colluders]);
  const chipsOf = (id: number): ArrayLike<number> => key.recipients.find((c) => c.watermarkId === id)!.chips;
  const cells = leak(r, key.pilot, colluders.map((id) => ({ chips: chipsOf(id), weight: 1 / colluders.length })), noiseFor(pilotZ));
  const input: AccusationInput = { alignments: [{ pilotZ, cells }], pilot: key.pilot, bits: bits ?? key.bits, recipients: key.recipients.slice(0, ledger.length), innocentBound: bound };
  return accuse(input);
}

/** Every cell its own bit: scoring the shared chips too, as the test did before keyed bits. */
const everyCell: KeyedBit[] = Array.from({ length: CELLS }, (_, i) => ({ cells: [i], signs: [1] }));

describe('keyed bits', () => {
  it('are the coded bits no two sequential IDs share by construction', () => {
    const { bits, recipients } = keyCodewords(KEY, [5001, 5002]);
    // the keyed check enters 30 of the code's 62 steps, 3 coded bits each (a few tail bits coincide)
    expect(bits.length).toBeGreaterThan(80);
    expect(bits.length).toBeLessThanOrEqual(90);
    const keyed = new Set(bits.flatMap((b) => b.cells));
    const [a, b] = [recipients[0]!.chips, recipients[1]!.chips];
    const shared = (cells: number[]): number => cells.filter((i) => a[i] === b[i]).length / cells.length;
    const all = Array.from({ length: CELLS }, (_, i) => i);
    // sequential IDs share the chips outside the keyed bits but where their last ID bits differ,
    // and about half of them on the keyed ones
    expect(shared(all.filter((i) => !keyed.has(i)))).toBeGreaterThan(0.9);
    expect(shared([...keyed])).toBeGreaterThan(0.3);
    expect(shared([...keyed])).toBeLessThan(0.7);
  });
});

describe('informed accusation', () => {
  it('names the one recipient whose codeword a leak carries, and no other', () => {
    const r = seededRandom(1);
    const a = trial(r, sequential(5001, 50), [], 20, 1e-6);
    expect(a.accused).toEqual([]);
    const b = accuse({ ...(() => {
      const key = keyCodewords(KEY, sequential(5001, 50));
      return { alignments: [{ pilotZ: 20, cells: leak(r, key.pilot, [{ chips: key.recipients[7]!.chips, weight: 1 }], noiseFor(20)) }], pilot: key.pilot, bits: key.bits, recipients: key.recipients };
    })() });
    expect(b.accused.map((x) => x.watermarkId)).toEqual([5008]);
    expect(b.tests).toBe(50);
  });

  // The null over many seeded trials: copies averaged from 2 or 3 sequential IDs, every other
  // recipient a sequential neighbour whose codeword overlaps theirs on most cells.
  const NULL_TRIALS = 1000;
  const BOUND = 0.01;

  function innocentRate(seed: number, ledgerOf: (colluders: number[]) => number[], bits?: KeyedBit[], trials = NULL_TRIALS): { rate: number } {
    const r = seededRandom(seed);
    let innocent = 0;
    for (let t = 0; t < trials; t++) {
      const k = 2 + (t % 2);
      const first = 5001 + Math.floor(r() * 37);
      const colluders = sequential(first, k);
      const pilotZ = 8 + r() * 72; // from a faint mark to a clean copy
      const ledger = ledgerOf(colluders);
      const a = trial(r, ledger, colluders, pilotZ, BOUND, bits);
      if (a.accused.some((x) => !colluders.includes(x.watermarkId))) innocent++;
    }
    return { rate: innocent / trials };
  }

  it('over many null trials with overlapping sequential IDs, accuses an innocent less often than its bound', () => {
    const { rate } = innocentRate(11, () => sequential(5001, 40));
    expect(rate).toBeLessThan(BOUND);
  });

  it('holds its bound when the colluders are missing from the ledger and their neighbours are in it', () => {
    // the hole the first wiring fell in: a ledger without the copies that leaked
    const { rate } = innocentRate(12, (colluders) => sequential(5001, 42).filter((id) => !colluders.includes(id)));
    expect(rate).toBeLessThan(BOUND);
  });

  it('scoring every cell instead (shared chips too) accuses the colluders\' neighbours: why only keyed bits count', () => {
    const { rate } = innocentRate(13, (colluders) => sequential(5001, 42).filter((id) => !colluders.includes(id)), everyCell, 100);
    expect(rate).toBeGreaterThan(0.2);
  });

  it('still names a colluder of a 2- or 3-copy average at realistic strength, and only colluders', () => {
    const r = seededRandom(14);
    const ledger = sequential(5001, 200);
    let named = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const colluders = sequential(5001 + Math.floor(r() * 190), 2 + (t % 2));
      // a leak whose pilot reads at 30 sigmas: a 30 s copy re-encoded at 480p reads higher
      const a = trial(r, ledger, colluders, 30, 1e-6);
      expect(a.accused.every((x) => colluders.includes(x.watermarkId))).toBe(true);
      if (a.accused.length > 0) named++;
    }
    expect(named / trials).toBeGreaterThan(0.9);
  });

  it('raises the threshold with the number of recipients and alignments (union bound)', () => {
    const r = seededRandom(4);
    const key = keyCodewords(KEY, sequential(1, 10));
    const cells = Float32Array.from({ length: CELLS }, () => gauss(r));
    const small = accuse({ alignments: [{ pilotZ: 1, cells }], pilot: key.pilot, bits: key.bits, recipients: key.recipients });
    const many = Array.from({ length: 1000 }, (_, i) => ({ watermarkId: 100 + i, chips: key.recipients[i % 10]!.chips }));
    const large = accuse({ alignments: [{ pilotZ: 1, cells }, { pilotZ: 1, cells }], pilot: key.pilot, bits: key.bits, recipients: many });
    expect(large.tests).toBe(2000);
    expect(large.threshold).toBeGreaterThan(small.threshold);
    // 1e-6 over 10 tests with about 230 degrees of freedom (76 keyed, 156 shared): 1e-7 per test
    // (the normal's is 5.20; the keyed bits' alone, about 76 degrees of freedom, give 5.8)
    expect(small.threshold).toBeGreaterThan(5.25);
    expect(small.threshold).toBeLessThan(5.5);
    const keyedOnly = accuse({ alignments: [{ pilotZ: 1, cells }], pilot: key.pilot, bits: key.bits, recipients: key.recipients, pooledVariance: false });
    expect(keyedOnly.threshold).toBeGreaterThan(5.6);
  });

  it('with the variance pooled over the shared cells, names a colluder of a faint average more often than with the keyed bits\' alone', () => {
    // the same leaks scored both ways: the pooled estimate's threshold is lower, its t no smaller on average
    const r = seededRandom(21);
    const ledger = sequential(5001, 200);
    const key = keyCodewords(KEY, ledger);
    let pooled = 0;
    let keyedOnly = 0;
    for (let t = 0; t < 40; t++) {
      const first = Math.floor(r() * 198);
      const colluders = [ledger[first]!, ledger[first + 1]!];
      const cells = leak(r, key.pilot, [{ chips: key.recipients[first]!.chips, weight: 0.5 }, { chips: key.recipients[first + 1]!.chips, weight: 0.5 }], noiseFor(15));
      const input: AccusationInput = { alignments: [{ pilotZ: 15, cells }], pilot: key.pilot, bits: key.bits, recipients: key.recipients };
      const a = accuse(input);
      const b = accuse({ ...input, pooledVariance: false });
      expect(a.accused.every((x) => colluders.includes(x.watermarkId))).toBe(true);
      expect(a.threshold).toBeLessThan(b.threshold - 0.3);
      if (a.accused.length > 0) pooled++;
      if (b.accused.length > 0) keyedOnly++;
    }
    expect(pooled).toBeGreaterThan(keyedOnly + 4);
  });

  it('reports nothing to test for a detection without alignments or without a ledger', () => {
    const key = keyCodewords(KEY, sequential(7, 3));
    expect(accuse({ alignments: [], pilot: key.pilot, bits: key.bits, recipients: key.recipients }).accused).toEqual([]);
    expect(accuse({ alignments: [{ pilotZ: 9, cells: key.pilot }], pilot: key.pilot, bits: key.bits, recipients: [] }).tests).toBe(0);
    expect(() => accuse({ alignments: [{ pilotZ: 9, cells: key.pilot.subarray(0, 100) }], pilot: key.pilot, bits: key.bits, recipients: key.recipients })).toThrow(/100 cells/);
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
    const x = Float32Array.from({ length: CELLS }, () => (r() < 0.5 ? -1 : 1));
    const y = Float32Array.from(x, (v) => 2 * v + 0.1 * gauss(r));
    expect(partialT(y, [x], x)).toBe(0);
    expect(partialT(y, [], x)).toBeGreaterThan(100);
  });
});
