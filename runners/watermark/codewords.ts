/**
 * The codewords informed accusation (accusation.ts) scores, from the native pattern: the key's
 * pilot, each ledger recipient's data chips, and the key's keyed bits (keyed-bits.ts).
 */
import { tileChips } from '../../native/index.js';
import type { LedgerCodeword } from './accusation.js';
import { keyedBits, type KeyedBit } from './keyed-bits.js';

const CELLS = 256;

export interface KeyCodewords {
  pilot: Float32Array;
  bits: KeyedBit[];
  recipients: LedgerCodeword[];
}

/** Keyed bits per key (hex): the probe asks the native code for 192 codewords, the same every time. */
const bitsByKey = new Map<string, KeyedBit[]>();

export function keyCodewords(key: Buffer | Uint8Array, ids: readonly number[]): KeyCodewords {
  const hex = Buffer.from(key).toString('hex');
  let bits = bitsByKey.get(hex);
  if (!bits) {
    bits = keyedBits((probe) => tileChips(key, probe).data, CELLS);
    bitsByKey.set(hex, bits);
  }
  const chips = tileChips(key, ids);
  return { pilot: chips.pilot, bits, recipients: ids.map((id, i) => ({ watermarkId: id, chips: chips.data.subarray(i * CELLS, (i + 1) * CELLS) })) };
}
