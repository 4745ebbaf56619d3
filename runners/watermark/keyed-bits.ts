/**
 * Which tile cells carry payload bits that no two IDs share by construction: what informed
 * accusation (accusation.ts) may score. The payload is the ID followed by a keyed check, through a
 * convolutional code (native/src/ecc.h). A coded bit that depends on the ID alone is an affine
 * (XOR) function of the ID's bits, so two IDs that share a run of bits (sequential IDs share their
 * leading ones) share every such coded bit, and an innocent's codeword overlaps a colluder's on
 * them as far as their IDs agree: scored there, an innocent next to a colluder scores high, and
 * one next to a colluder the ledger does not list scores high whatever the test fits. A coded bit
 * the keyed check enters is a pseudo-random function of the ID, so any two distinct IDs agree on it
 * by chance only, half the time, as the test's null assumes.
 *
 * The cells are found from the chips alone (the linearity test of Blum, Luby and Rubinfeld: an
 * affine bit satisfies b(x^a^c) ^ b(x) = b(x^a) ^ b(x^c) for every x, a, c; a pseudo-random one
 * fails half the triples), so nothing here depends on the pattern's layout or the code's taps, and
 * a change to either in native/ is followed without an edit here. Cells carrying the same coded bit
 * (the 256 cells hold 186 coded bits, some twice) are grouped: one bit is one observation, so a
 * bit held twice does not count twice in the chance agreement between two codewords.
 */
import { createHash } from 'node:crypto';

/** One keyed coded bit: the cells that carry it, and each cell's chip sign relative to the first. */
export interface KeyedBit {
  cells: number[];
  signs: number[];
}

/** Triples tried per cell: an affine cell passes them all; a pseudo-random one is missed with chance 2^-TRIPLES. */
const TRIPLES = 48;

/** `chips(ids)`: each ID's data chips, `cellCount` per ID, in the order given (native tileChips' `data`). */
export type ChipsOf = (ids: number[]) => ArrayLike<number>;

/** The probe's IDs: fixed (so a key always gives the same cells), nonzero 32-bit, from a counter's hash. */
function probeTriples(): { x: number; a: number; c: number }[] {
  const out: { x: number; a: number; c: number }[] = [];
  for (let k = 0; out.length < TRIPLES; k++) {
    const h = createHash('sha256').update(`vigil keyed-bits probe ${k}`).digest();
    const [x, a, c] = [h.readUInt32BE(0), h.readUInt32BE(4), h.readUInt32BE(8)];
    // every ID tried must be a valid one (1..2^32-1) and the four distinct
    if ([x, x ^ a, x ^ c, x ^ a ^ c].some((v) => v >>> 0 === 0) || a === 0 || c === 0 || a === c) continue;
    out.push({ x, a, c });
  }
  return out;
}

/** Pure given `chips`: the keyed bits, in the order of their first cell. */
export function keyedBits(chips: ChipsOf, cellCount: number): KeyedBit[] {
  const triples = probeTriples();
  const ids = triples.flatMap(({ x, a, c }) => [x >>> 0, (x ^ a) >>> 0, (x ^ c) >>> 0, (x ^ a ^ c) >>> 0]);
  const data = chips(ids);
  const chip = (id: number, cell: number): number => data[id * cellCount + cell]!;
  const keyed: number[] = [];
  for (let cell = 0; cell < cellCount; cell++) {
    const affine = triples.every((_, t) => chip(4 * t, cell) * chip(4 * t + 3, cell) === chip(4 * t + 1, cell) * chip(4 * t + 2, cell));
    if (!affine) keyed.push(cell);
  }
  // a cell's signature: its chip on every probe ID relative to the first; equal signatures are one bit
  const groups = new Map<string, KeyedBit>();
  for (const cell of keyed) {
    const first = chip(0, cell);
    const signature = ids.map((_, i) => (chip(i, cell) * first > 0 ? '1' : '0')).join('');
    const group = groups.get(signature);
    if (group) {
      group.cells.push(cell);
      group.signs.push(first * chip(0, group.cells[0]!) > 0 ? 1 : -1);
    } else {
      groups.set(signature, { cells: [cell], signs: [1] });
    }
  }
  return [...groups.values()];
}

/**
 * Per-cell values (soft values or chips) as one value per keyed bit: the mean of the bit's cells,
 * each turned by its sign, so a codeword's chip on a bit is exactly its first cell's.
 */
export function perBit(values: ArrayLike<number>, bits: readonly KeyedBit[]): Float64Array {
  return Float64Array.from(bits, (b) => {
    let s = 0;
    for (let k = 0; k < b.cells.length; k++) s += b.signs[k]! * values[b.cells[k]!]!;
    return s / b.cells.length;
  });
}
